using System.Net.Sockets;
using GuestPull.Testing;
using GuestPull.Ttrpc.Tests.Protos;
using GuestPull.Ttrpc.Tests.Support;

namespace GuestPull.Ttrpc.Tests;

public sealed class UnixSocketListenerTests
{
    [Fact]
    public async Task Listen_CreatesTheSocketWithMode0600()
    {
        await using var harness = ServerHarness.Start(_ => { });

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(harness.SocketPath));
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(harness.SocketPath)!));
    }

    [Fact]
    public async Task Listen_ReplacesAStaleSocketLeftByADeadServer()
    {
        using var directory = TempDirectory.Create("ttrpc");
        var path = directory.Combine("stale.sock");
        using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            // .NET unlinks the path it bound when the socket closes; a renamed socket file survives, as
            // one left by a killed process does.
            var boundPath = directory.Combine("bound.sock");
            dead.Bind(new UnixDomainSocketEndPoint(boundPath));
            File.Move(boundPath, path);
        }

        Assert.True(File.Exists(path));
        await using var server = new TtrpcServer();
        server.Register(ServerHarness.Service, "Echo", EchoRequest.Parser, (_, r, _) => Task.FromResult(new EchoResponse { Text = r.Text }));

        server.ListenUnixSocket(path);

        await using var client = await TtrpcClient.ConnectAsync(path);
        var response = await client.CallAsync<EchoRequest, EchoResponse>(ServerHarness.Service, "Echo", new EchoRequest { Text = "new" });
        Assert.Equal("new", response.Text);
    }

    [Fact]
    public async Task Listen_OnASocketWithALiveServer_IsRefused()
    {
        await using var harness = ServerHarness.Start(_ => { });
        await using var second = new TtrpcServer();

        var error = Assert.Throws<IOException>(() => second.ListenUnixSocket(harness.SocketPath));

        Assert.Contains("another server is accepting connections", error.Message, StringComparison.Ordinal);
        Assert.Contains(harness.SocketPath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listen_OnARegularFile_IsRefusedAndTheFileIsKept()
    {
        using var directory = TempDirectory.Create("ttrpc");
        var path = directory.Combine("not-a-socket");
        await File.WriteAllTextAsync(path, "precious");
        await using var server = new TtrpcServer();

        var error = Assert.Throws<IOException>(() => server.ListenUnixSocket(path));

        Assert.Contains("is not a socket", error.Message, StringComparison.Ordinal);
        Assert.Equal("precious", await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task Listen_PathTooLongForAUnixSocket_NamesTheLimit()
    {
        await using var server = new TtrpcServer();
        var path = "/tmp/" + new string('a', 120) + ".sock";

        var error = Assert.Throws<ArgumentException>(() => server.ListenUnixSocket(path));

        Assert.Contains("at most 107", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shutdown_RemovesTheSocketFile()
    {
        var harness = ServerHarness.Start(_ => { });
        Assert.True(File.Exists(harness.SocketPath));

        await harness.Server.ShutdownAsync();

        Assert.False(File.Exists(harness.SocketPath));
        await harness.DisposeAsync();
    }
}
