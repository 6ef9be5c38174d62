using GuestPull.Api.Ttrpc.Protocol;
using GuestPull.Ttrpc.Tests.Protos;
using GuestPull.Ttrpc.Tests.Support;

namespace GuestPull.Ttrpc.Tests;

public sealed class DeadlineTests
{
    private const string Service = ServerHarness.Service;

    [Fact]
    public async Task ClientTimeout_FailsTheCallWithDeadlineExceededAndCancelsTheHandler()
    {
        var handlerCancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerSawDeadline = new TaskCompletionSource<DateTimeOffset?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = ServerHarness.Start(server => server.Register(
            Service, "Hang", EchoRequest.Parser,
            async (context, _, cancellationToken) =>
            {
                handlerSawDeadline.TrySetResult(context.Deadline);
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    handlerCancelled.TrySetResult(true);
                    throw;
                }

                return new EchoResponse();
            }));
        var client = await harness.ConnectAsync();

        var error = await Assert.ThrowsAsync<TtrpcException>(() => client.CallAsync<EchoRequest, EchoResponse>(
            Service, "Hang", new EchoRequest(), new TtrpcCallOptions { Timeout = TimeSpan.FromMilliseconds(300) }));

        Assert.Equal(TtrpcStatusCode.DeadlineExceeded, error.StatusCode);
        // Client and server share the deadline: whichever side's timer fires first answers (the client's
        // message names the method, the server's is Go's "context deadline exceeded"), both are right.
        Assert.True(
            error.StatusMessage.Contains($"{Service}/Hang", StringComparison.Ordinal) || error.StatusMessage.Contains("deadline exceeded", StringComparison.Ordinal),
            error.StatusMessage);
        Assert.NotNull(await Eventually.Within(handlerSawDeadline.Task));
        Assert.True(await Eventually.Within(handlerCancelled.Task), "the server handler was not cancelled by timeout_nano");
    }

    [Fact]
    public async Task ClientDeadlineAlreadyPassed_FailsWithoutSending()
    {
        var calls = 0;
        await using var harness = ServerHarness.Start(server => server.Register(
            Service, "Echo", EchoRequest.Parser, (_, _, _) =>
            {
                Interlocked.Increment(ref calls);
                return Task.FromResult(new EchoResponse());
            }));
        var client = await harness.ConnectAsync();

        var error = await Assert.ThrowsAsync<TtrpcException>(() => client.CallAsync<EchoRequest, EchoResponse>(
            Service, "Echo", new EchoRequest(), new TtrpcCallOptions { Deadline = DateTimeOffset.UtcNow.AddSeconds(-1) }));
        await client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest());

        Assert.Equal(TtrpcStatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task ServerSide_TimeoutNanoCancelsTheHandlerAndAnswersDeadlineExceeded()
    {
        // A raw client sends timeout_nano but never gives up itself, so the answer must come from the server.
        await using var harness = ServerHarness.Start(server => server.Register(
            Service, "Hang", EchoRequest.Parser,
            async (_, _, cancellationToken) =>
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return new EchoResponse();
            }));
        await using var raw = await harness.ConnectRawAsync();

        await raw.SendRequestAsync(1, RawConnection.EchoRequest("Hang", new EchoRequest(), timeoutNano: 200_000_000));
        var (header, response) = await raw.ReadResponseAsync();

        Assert.Equal(1u, header.StreamId);
        Assert.Equal((int)TtrpcStatusCode.DeadlineExceeded, response.Status.Code);
        Assert.Equal("context deadline exceeded", response.Status.Message);
    }

    [Fact]
    public async Task ServerSide_NoTimeoutNano_MeansNoDeadline()
    {
        await using var harness = ServerHarness.Start(server => server.Register(
            Service, "Echo", EchoRequest.Parser,
            (context, _, cancellationToken) => Task.FromResult(new EchoResponse
            {
                HasDeadline = context.Deadline is not null,
            })));
        var client = await harness.ConnectAsync();

        var response = await client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest());

        Assert.False(response.HasDeadline);
    }

    [Fact]
    public async Task CallerCancellation_ThrowsOperationCanceledAndTheConnectionStaysUsable()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = ServerHarness.Start(server =>
        {
            server.Register(Service, "Block", EchoRequest.Parser, async (_, _, _) =>
            {
                entered.TrySetResult();
                await release.Task;
                return new EchoResponse { Text = "late" };
            });
            server.Register(Service, "Echo", EchoRequest.Parser, (_, r, _) => Task.FromResult(new EchoResponse { Text = r.Text }));
        });
        var client = await harness.ConnectAsync();
        using var cancel = new CancellationTokenSource();

        var blocked = client.CallAsync<EchoRequest, EchoResponse>(Service, "Block", new EchoRequest(), cancellationToken: cancel.Token);
        await Eventually.Within(entered.Task);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked);
        release.TrySetResult(); // the late response for the abandoned stream is dropped
        var response = await client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest { Text = "next" });
        Assert.Equal("next", response.Text);
    }

    [Fact]
    public void RequestEnvelope_CarriesTimeoutAsNanoseconds()
    {
        // Guards the field the Go server reads: int64 timeout_nano = 4.
        var request = new Request { TimeoutNano = 1_500_000_000 };

        var bytes = Google.Protobuf.MessageExtensions.ToByteArray(request);

        Assert.Equal(new byte[] { 0x20, 0x80, 0xDE, 0xA0, 0xCB, 0x05 }, bytes);
    }
}
