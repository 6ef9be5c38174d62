using GuestPull.Linux;
using GuestPull.Linux.Devices;
using GuestPull.Testing;

namespace GuestPull.Ttrpc.Tests;

/// <summary>
/// <see cref="SerialPortStream"/> on a FIFO opened read-write, a loopback with the same descriptor
/// semantics (non-blocking, poll) as a virtio-serial port whose host is connected; the port itself, its
/// hang-ups and the ttrpc server on it are exercised in a real guest by the VM integration test.
/// </summary>
public sealed class SerialPortTests : IDisposable
{
    private readonly TempDirectory _directory = TempDirectory.Create("serial");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ReadAsync_WaitsForBytesWrittenLater()
    {
        await using var port = SerialPortStream.Open(await MakeFifoAsync());
        var buffer = new byte[16];

        var read = port.ReadAsync(buffer).AsTask();
        await Task.Delay(150);
        Assert.False(read.IsCompleted);
        await port.WriteAsync("ping"u8.ToArray());

        Assert.Equal(4, await read.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("ping"u8.ToArray(), buffer[..4]);
        Assert.True(port.IsPeerConnected);
    }

    [Fact]
    public async Task ManySequentialRoundTrips_Succeed()
    {
        await using var port = SerialPortStream.Open(await MakeFifoAsync());
        var buffer = new byte[8];
        for (var i = 0; i < 200; i++)
        {
            var read = port.ReadAsync(buffer).AsTask();
            await port.WriteAsync(BitConverter.GetBytes((long)i));
            Assert.Equal(8, await read.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(i, BitConverter.ToInt64(buffer));
        }
    }

    [Fact]
    public async Task PendingRead_IsCancelled()
    {
        await using var port = SerialPortStream.Open(await MakeFifoAsync());
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => port.ReadAsync(new byte[4], cancel.Token).AsTask());

        // The port stays usable after a cancelled read.
        await port.WriteAsync("x"u8.ToArray());
        Assert.Equal(1, await port.ReadAsync(new byte[4]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task PendingRead_FailsWhenThePortIsDisposed()
    {
        var port = SerialPortStream.Open(await MakeFifoAsync());
        var read = port.ReadAsync(new byte[4]).AsTask();
        await Task.Delay(100);

        await port.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => read.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Open_AMissingDevice_NamesIt()
    {
        var path = _directory.Combine("vport9p9");

        var error = Assert.Throws<NativeCallException>(() => SerialPortStream.Open(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listen_WithTheSerialScheme_OpensTheDeviceAndAPlainPathIsStillAUnixSocket()
    {
        await using var server = new TtrpcServer();
        var missing = _directory.Combine("vport9p9");

        var error = Assert.Throws<NativeCallException>(() => server.Listen($"serial://{missing}"));
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);

        var socket = _directory.Combine("agent.sock");
        server.Listen(socket);
        Assert.True(File.Exists(socket));
    }

    private async Task<string> MakeFifoAsync()
    {
        var path = _directory.Combine($"port-{Guid.NewGuid():N}");
        await ProcessRunner.RunAsync("mkfifo", ["-m", "0600", path]);
        return path;
    }
}
