using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GuestPull.Testing.Containerd;
using GuestPull.Api.Containerd.Events;
using GuestPull.Api.Containerd.EventsService.V1;
using GuestPull.Api.Containerd.Types;
using GuestPull.Testing.Traits;
using GuestPull.Ttrpc.Tests.Support;

namespace GuestPull.Ttrpc.Tests;

/// The client against a real ttrpc peer: containerd 1.6's own ttrpc server (the one shims publish
/// events to). Needs root and Debian's containerd and ctr.
[Trait(Requires.Trait, Requires.Components)]
public sealed class ContainerdInteropTests(ContainerdInteropTests.ContainerdFixture fixture)
    : IClassFixture<ContainerdInteropTests.ContainerdFixture>
{
    private const string EventsService = "containerd.services.events.ttrpc.v1.Events";

    [Fact]
    public async Task Forward_TaskCreateEvent_ReachesCtrEventsSubscribers()
    {
        const string Namespace = "guestpull-ttrpc-test";
        var containerId = $"ttrpc-interop-{Guid.NewGuid():N}";
        await using var events = fixture.Containerd.StartCtr(["events"], Namespace);
        await using var client = await TtrpcClient.ConnectAsync(fixture.Containerd.TtrpcAddress);
        var request = new ForwardRequest
        {
            Envelope = new Envelope
            {
                Timestamp = Timestamp.FromDateTime(DateTime.UtcNow),
                Namespace = Namespace,
                Topic = "/tasks/create",
                Event = TaskCreateEvent(containerId),
            },
        };

        // ctr subscribes asynchronously after it starts; forward until its subscription sees one.
        var seen = events.WaitForLineAsync(line => line.Contains(containerId, StringComparison.Ordinal), ServerHarness.Patience, CancellationToken.None);
        while (!seen.IsCompleted)
        {
            await client.CallAsync<ForwardRequest, Empty>(
                EventsService, "Forward", request, TtrpcCallOptions.ForContainerdNamespace(Namespace));
            await Task.WhenAny(seen, Task.Delay(TimeSpan.FromMilliseconds(500)));
        }

        var line = await seen;
        Assert.Contains($" {Namespace} /tasks/create ", line, StringComparison.Ordinal);
        Assert.Contains("\"bundle\":\"/run/guestpull/bundle\"", line, StringComparison.Ordinal);
        Assert.Contains("\"pid\":4242", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forward_InvalidNamespace_IsInvalidArgumentFromContainerd()
    {
        await using var client = await TtrpcClient.ConnectAsync(fixture.Containerd.TtrpcAddress);
        var request = new ForwardRequest
        {
            Envelope = new Envelope
            {
                Timestamp = Timestamp.FromDateTime(DateTime.UtcNow),
                Namespace = "Not A Valid Namespace!",
                Topic = "/tasks/create",
                Event = TaskCreateEvent("c"),
            },
        };

        var error = await Assert.ThrowsAsync<TtrpcException>(() => client.CallAsync<ForwardRequest, Empty>(
            EventsService, "Forward", request, new TtrpcCallOptions { Timeout = ServerHarness.Patience }));

        Assert.Equal(TtrpcStatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("namespace", error.StatusMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownServiceAndMethod_AnswerUnimplementedWithTheMessagesOurServerAlsoUses()
    {
        await using var client = await TtrpcClient.ConnectAsync(fixture.Containerd.TtrpcAddress);

        var noService = await Assert.ThrowsAsync<TtrpcException>(
            () => client.CallAsync<Empty, Empty>("guestpull.NoSuchService", "Call", new Empty()));
        var noMethod = await Assert.ThrowsAsync<TtrpcException>(
            () => client.CallAsync<Empty, Empty>(EventsService, "NoSuchMethod", new Empty()));

        Assert.Equal((TtrpcStatusCode.Unimplemented, "service guestpull.NoSuchService"), (noService.StatusCode, noService.StatusMessage));
        Assert.Equal((TtrpcStatusCode.Unimplemented, "method NoSuchMethod"), (noMethod.StatusCode, noMethod.StatusMessage));
    }

    [Fact]
    public async Task ManyConcurrentCallsToContainerd_AllComplete()
    {
        await using var client = await TtrpcClient.ConnectAsync(fixture.Containerd.TtrpcAddress);

        var calls = Enumerable.Range(0, 50).Select(i => Assert.ThrowsAsync<TtrpcException>(
            () => client.CallAsync<Empty, Empty>(EventsService, $"Missing{i}", new Empty())));
        var errors = await Eventually.Within(Task.WhenAll(calls));

        for (var i = 0; i < errors.Length; i++)
        {
            Assert.Equal($"method Missing{i}", errors[i].StatusMessage);
        }
    }

    private static Any TaskCreateEvent(string containerId)
    {
        var payload = new TaskCreate
        {
            ContainerId = containerId,
            Bundle = "/run/guestpull/bundle",
            Pid = 4242,
            Io = new TaskIO { Stdout = "/dev/null" },
        };
        payload.Rootfs.Add(new Mount { Type = "overlay", Source = "overlay", Options = { "lowerdir=/a" } });

        // containerd registers its types under the bare message name, without the googleapis prefix.
        return new Any { TypeUrl = "containerd.events.TaskCreate", Value = payload.ToByteString() };
    }

    /// One private containerd for the whole class, without CRI.
    public sealed class ContainerdFixture : IAsyncLifetime
    {
        private ContainerdInstance? _containerd;

        public ContainerdInstance Containerd => _containerd ?? throw new InvalidOperationException("containerd is not started");

        public async Task InitializeAsync() => _containerd = await ContainerdInstance.StartAsync(new ContainerdOptions { EnableCri = false });

        public async Task DisposeAsync()
        {
            if (_containerd is not null)
            {
                await _containerd.DisposeAsync();
            }
        }
    }
}
