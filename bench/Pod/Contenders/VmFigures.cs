namespace GuestPull.Bench.Pod.Contenders;

/// What one run of a VM contender measured besides its phases, after the timed part. A figure that
/// could not be measured is null and <see cref="Problems"/> says why: it is left out, never guessed.
internal sealed record VmFigures
{
    /// QEMU's accelerator, "kvm" or "tcg", as the shim logged it when the sandbox started.
    public string? Accelerator { get; init; }

    /// The shim's own figure: QEMU started to the agent answering in the guest, in milliseconds.
    public long? BootMilliseconds { get; init; }

    /// VmRSS of the pod's qemu-system process right before the pod is removed.
    public long? QemuRssBytes { get; init; }

    /// VmHWM (peak resident set) of the same process over the VM's life.
    public long? QemuPeakRssBytes { get; init; }

    /// VmRSS of guestpull-agent (PID 1 of the guest) at rest after the pull.
    public long? AgentRssBytes { get; init; }

    /// VmHWM of guestpull-agent: its peak, during the pull.
    public long? AgentPeakRssBytes { get; init; }

    /// Seconds the guest took, per layer, to fetch the blob from the node's registry, gunzip it and hash
    /// the tar stream with busybox (wget | gzip -dc | sha256sum), one layer after the other.
    public IReadOnlyList<double>? LayerBoundSeconds { get; init; }

    public double? BoundSeconds => LayerBoundSeconds?.Sum();

    public IReadOnlyList<string> Problems { get; init; } = [];
}
