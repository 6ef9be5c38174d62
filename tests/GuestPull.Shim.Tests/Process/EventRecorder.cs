using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GuestPull.Api.Containerd.Events;
using GuestPull.Api.Containerd.EventsService.V1;
using GuestPull.Ttrpc;

namespace GuestPull.Shim.Tests.Process;

/// <summary>
/// A test double for containerd's event sink: a real ttrpc server on a unix socket (the shim's
/// TTRPC_ADDRESS) serving Events/Forward and recording every envelope.
/// </summary>
internal sealed class EventRecorder : IAsyncDisposable
{
    private readonly TtrpcServer _server = new();
    private readonly List<(Envelope Envelope, string? Namespace)> _received = [];

    public EventRecorder(string socket)
    {
        Socket = socket;
        _server.Register<ForwardRequest, Empty>("containerd.services.events.ttrpc.v1.Events", "Forward", ForwardRequest.Parser, (context, request, _) =>
        {
            lock (_received)
            {
                _received.Add((request.Envelope, context.Metadata.ContainerdNamespace));
            }

            return Task.FromResult(new Empty());
        });
        _server.ListenUnixSocket(socket);
    }

    public string Socket { get; }

    public IReadOnlyList<(Envelope Envelope, string? Namespace)> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public IReadOnlyList<string> Topics => [.. Received.Select(r => r.Envelope.Topic)];

    /// <summary>Decodes the events of a topic as containerd does: by the Any's bare type URL.</summary>
    public IReadOnlyList<T> Events<T>(string topic)
        where T : IMessage<T>, new()
    {
        var descriptor = new T().Descriptor;
        return [.. Received
            .Where(r => r.Envelope.Topic == topic)
            .Select(r =>
            {
                Assert.Equal(descriptor.FullName, r.Envelope.Event.TypeUrl);
                var message = new T();
                message.MergeFrom(r.Envelope.Event.Value);
                return message;
            })];
    }

    public async Task<T> WaitForAsync<T>(string topic, Func<T, bool> match, CancellationToken cancellationToken)
        where T : IMessage<T>, new()
    {
        while (true)
        {
            var found = Events<T>(topic).FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();
}
