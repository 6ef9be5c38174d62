using System.IO.Pipelines;
using GuestPull.Agent.Containers;

namespace GuestPull.Agent.Tests;

public sealed class OutputBufferTests
{
    [Fact]
    public async Task Read_WaitsForData_ThenReturnsWhatIsThere_ThenEof()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var pipe = new Pipe();
        var buffer = new OutputBuffer();
        var pump = buffer.PumpAsync(pipe.Reader.AsStream(), timeout.Token);

        var pending = buffer.ReadAsync(3, timeout.Token);
        Assert.False(pending.IsCompleted, "nothing was written yet: the read waits");
        await pipe.Writer.WriteAsync("hello"u8.ToArray(), timeout.Token);

        var first = await pending;
        Assert.False(first.Eof);
        Assert.Equal("hel"u8.ToArray(), first.Data);
        Assert.Equal("lo"u8.ToArray(), (await buffer.ReadAsync(100, timeout.Token)).Data);

        await pipe.Writer.CompleteAsync();
        await pump;
        var end = await buffer.ReadAsync(100, timeout.Token);
        Assert.True(end.Eof);
        Assert.Empty(end.Data);
    }

    [Fact]
    public async Task DataWrittenBeforeTheEnd_IsStillReadBeforeEof()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var buffer = new OutputBuffer();
        await buffer.PumpAsync(new MemoryStream("last words"u8.ToArray()), timeout.Token);
        Assert.Equal("last words"u8.ToArray(), (await buffer.ReadAsync(1024, timeout.Token)).Data);
        Assert.True((await buffer.ReadAsync(1024, timeout.Token)).Eof);
    }
}
