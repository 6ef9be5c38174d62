namespace GuestPull.Ttrpc;

/// <summary>Settings for a <see cref="TtrpcServer"/>.</summary>
public sealed class TtrpcServerOptions
{
    /// <summary>
    /// The largest frame payload the server accepts or sends, 4 MiB by default as in upstream ttrpc.
    /// A larger request is skipped and answered with <see cref="TtrpcStatusCode.ResourceExhausted"/>.
    /// </summary>
    public int MaxMessageSize { get; init; } = TtrpcClientOptions.DefaultMaxMessageSize;

    /// <summary>How long <see cref="TtrpcServer.ShutdownAsync"/> lets calls in flight finish before it aborts them.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
