namespace GuestPull.Ttrpc;

/// <summary>Settings for a <see cref="TtrpcServer"/>.</summary>
public sealed class TtrpcServerOptions
{
    /// <summary>The default <see cref="MaxConnections"/>.</summary>
    public const int DefaultMaxConnections = 1024;

    /// <summary>
    /// The largest frame payload the server accepts or sends, 4 MiB by default as in upstream ttrpc.
    /// A larger request is skipped and answered with <see cref="TtrpcStatusCode.ResourceExhausted"/>.
    /// </summary>
    public int MaxMessageSize { get; init; } = TtrpcClientOptions.DefaultMaxMessageSize;

    /// <summary>How long <see cref="TtrpcServer.ShutdownAsync"/> lets calls in flight finish before it aborts them.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many connections (unix sockets and served streams together) may be open at once. One more is
    /// closed as soon as it is accepted, and the server goes on serving the others: each connection
    /// holds memory, so without a bound clients that connect and never leave grow the server without end.
    /// A virtio-serial port is the host's one link and is never refused.
    /// </summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>
    /// How long a connection may stay without a request in flight and without a byte from its client
    /// before the server closes it; <see cref="Timeout.InfiniteTimeSpan"/> (the default) keeps idle
    /// connections open. Only for servers whose clients reconnect: a containerd shim's client keeps one
    /// connection for the sandbox's life, however quiet. A virtio-serial port is never closed for idling.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = Timeout.InfiniteTimeSpan;
}
