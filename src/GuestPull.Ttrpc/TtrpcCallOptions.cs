namespace GuestPull.Ttrpc;

/// <summary>Per-call settings for <see cref="TtrpcClient"/>.</summary>
public sealed class TtrpcCallOptions
{
    /// <summary>Metadata sent with the request, or null for none.</summary>
    public TtrpcMetadata? Metadata { get; init; }

    /// <summary>
    /// The time by which the call must complete, or null for none. The remaining time is sent to the
    /// server as <c>timeout_nano</c>, and the client fails the call with
    /// <see cref="TtrpcStatusCode.DeadlineExceeded"/> when it passes.
    /// </summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>A relative form of <see cref="Deadline"/>, counted from the start of the call; the earlier of the two wins.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Options that only set containerd's namespace metadata key.</summary>
    /// <param name="containerdNamespace">The containerd namespace, such as <c>k8s.io</c>.</param>
    public static TtrpcCallOptions ForContainerdNamespace(string containerdNamespace) =>
        new() { Metadata = TtrpcMetadata.ForContainerdNamespace(containerdNamespace) };
}
