using GuestPull.Ttrpc.Tests.Protos;
using GuestPull.Ttrpc.Tests.Support;

namespace GuestPull.Ttrpc.Tests;

public sealed class ConcurrencyTests
{
    private const string Service = ServerHarness.Service;

    [Fact]
    public async Task HundredCallsInFlightAtOnceOnOneConnection_EachGetsItsOwnAnswer()
    {
        const int Calls = 100;
        var arrived = 0;
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = ServerHarness.Start(server => server.Register(
            Service, "Echo", EchoRequest.Parser,
            async (context, request, _) =>
            {
                // No handler answers before all of them have started: only a multiplexed, concurrent
                // connection can get through this.
                if (Interlocked.Increment(ref arrived) == Calls)
                {
                    allArrived.TrySetResult();
                }

                await allArrived.Task.WaitAsync(ServerHarness.Patience);
                return new EchoResponse { Text = $"{request.Text}@{context.StreamId}" };
            }));
        var client = await harness.ConnectAsync();

        var calls = Enumerable.Range(0, Calls)
            .Select(i => client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest { Text = $"call-{i}" }))
            .ToArray();
        var responses = await Eventually.Within(Task.WhenAll(calls));

        var streamIds = new HashSet<uint>();
        for (var i = 0; i < Calls; i++)
        {
            var parts = responses[i].Text.Split('@');
            Assert.Equal($"call-{i}", parts[0]);
            var streamId = uint.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(streamId % 2 == 1, $"stream id {streamId} is not odd");
            Assert.True(streamIds.Add(streamId), $"stream id {streamId} was used twice");
        }

        Assert.Equal(1, harness.Server.ConnectionCount);
    }

    [Fact]
    public async Task ConcurrentLargeRequests_DoNotInterleaveFrames()
    {
        await using var harness = ServerHarness.Start(server => server.Register(
            Service, "Echo", EchoRequest.Parser,
            (_, request, _) => Task.FromResult(new EchoResponse { Text = request.Text, Padding = request.Padding })));
        var client = await harness.ConnectAsync();

        var calls = Enumerable.Range(0, 16).Select(async i =>
        {
            var padding = Enumerable.Repeat((byte)i, 300_000).ToArray();
            var response = await client.CallAsync<EchoRequest, EchoResponse>(
                Service, "Echo", new EchoRequest { Text = $"{i}", Padding = Google.Protobuf.ByteString.CopyFrom(padding) });
            Assert.Equal($"{i}", response.Text);
            Assert.True(response.Padding.Span.SequenceEqual(padding), $"payload of call {i} came back corrupted");
        });

        await Eventually.Within(Task.WhenAll(calls));
    }
}
