using System.Threading.Channels;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GuestPull.Api.Containerd.EventsService.V1;
using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging;

namespace GuestPull.Shim.Events;

/// <summary>
/// Forwards task events to containerd's ttrpc socket (TTRPC_ADDRESS) with
/// <c>containerd.services.events.ttrpc.v1.Events/Forward</c>, one at a time and in order, retrying
/// as containerd's own shims do. The Any's type URL is the bare message name, which is what containerd's
/// typeurl registry knows (e.g. <c>containerd.events.TaskExit</c>).
/// </summary>
internal sealed partial class EventForwarder : IEventSink, IAsyncDisposable
{
    public const string Service = "containerd.services.events.ttrpc.v1.Events";
    private const int Attempts = 5;

    private readonly string? _address;
    private readonly string _namespace;
    private readonly ILogger _logger;
    private readonly Channel<Envelope> _queue = Channel.CreateUnbounded<Envelope>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private TtrpcClient? _client;

    public EventForwarder(string? address, string containerdNamespace, ILogger logger)
    {
        _address = string.IsNullOrEmpty(address) ? null : address;
        _namespace = containerdNamespace;
        _logger = logger;
        _loop = Task.Run(ForwardLoopAsync);
    }

    public void Publish(string topic, IMessage message)
    {
        var envelope = new Envelope
        {
            Timestamp = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
            Namespace = _namespace,
            Topic = topic,
            Event = new Any { TypeUrl = message.Descriptor.FullName, Value = message.ToByteString() },
        };
        LogPublish(_logger, topic, message.ToString() ?? string.Empty);
        _queue.Writer.TryWrite(envelope);
    }

    /// <summary>Sends what is queued (for up to <paramref name="timeout"/>), then stops.</summary>
    public async Task FlushAsync(TimeSpan timeout)
    {
        _queue.Writer.TryComplete();
        await _loop.WaitAsync(timeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async ValueTask DisposeAsync()
    {
        await FlushAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        if (_client is not null)
        {
            await _client.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ForwardLoopAsync()
    {
        await foreach (var envelope in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (_address is null)
            {
                LogNoSink(_logger, envelope.Topic);
                continue;
            }

            for (var attempt = 1; attempt <= Attempts; attempt++)
            {
                try
                {
                    _client ??= await TtrpcClient.ConnectAsync(_address).ConfigureAwait(false);
                    await _client.CallAsync<ForwardRequest, Empty>(
                        Service,
                        "Forward",
                        new ForwardRequest { Envelope = envelope },
                        new TtrpcCallOptions { Metadata = TtrpcMetadata.ForContainerdNamespace(_namespace), Timeout = TimeSpan.FromSeconds(10) }).ConfigureAwait(false);
                    break;
                }
                catch (TtrpcException ex)
                {
                    LogForwardFailed(_logger, envelope.Topic, attempt, ex.Message);
                    if (_client is { IsClosed: true } || ex.StatusCode == TtrpcStatusCode.Unavailable)
                    {
                        var client = _client;
                        _client = null;
                        if (client is not null)
                        {
                            await client.DisposeAsync().ConfigureAwait(false);
                        }
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt)).ConfigureAwait(false);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "event {Topic}: {Event}")]
    private static partial void LogPublish(ILogger logger, string topic, string @event);

    [LoggerMessage(Level = LogLevel.Warning, Message = "no TTRPC_ADDRESS: event {Topic} dropped")]
    private static partial void LogNoSink(ILogger logger, string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "forwarding event {Topic} failed (attempt {Attempt}): {Error}")]
    private static partial void LogForwardFailed(ILogger logger, string topic, int attempt, string error);
}
