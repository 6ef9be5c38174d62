namespace GuestPull.Ttrpc;

/// <summary>Settings for a <see cref="TtrpcClient"/> connection.</summary>
public sealed class TtrpcClientOptions
{
    /// <summary>The default frame payload cap, 4 MiB, as in upstream ttrpc.</summary>
    public const int DefaultMaxMessageSize = 4 << 20;

    /// <summary>
    /// The largest frame payload the client sends or accepts. A larger response fails its call with
    /// <see cref="TtrpcStatusCode.ResourceExhausted"/>; a larger request is refused before it is sent.
    /// </summary>
    public int MaxMessageSize { get; init; } = DefaultMaxMessageSize;
}
