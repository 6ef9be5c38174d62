namespace GuestPull.Ttrpc;

/// <summary>What a server handler knows about the call it is serving.</summary>
public sealed class TtrpcRequestContext
{
    internal TtrpcRequestContext(string service, string method, uint streamId, TtrpcMetadata metadata, DateTimeOffset? deadline)
    {
        Service = service;
        Method = method;
        StreamId = streamId;
        Metadata = metadata;
        Deadline = deadline;
    }

    /// <summary>The full service name the client called.</summary>
    public string Service { get; }

    /// <summary>The method name the client called.</summary>
    public string Method { get; }

    /// <summary>The stream id of the call on its connection.</summary>
    public uint StreamId { get; }

    /// <summary>The metadata the client sent, such as containerd's namespace.</summary>
    public TtrpcMetadata Metadata { get; }

    /// <summary>When the client's deadline passes (from <c>timeout_nano</c>), or null when it sent none.</summary>
    public DateTimeOffset? Deadline { get; }
}
