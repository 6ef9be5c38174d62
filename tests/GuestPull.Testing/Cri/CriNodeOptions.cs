namespace GuestPull.Testing.Cri;

/// <summary>Settings for <see cref="CriNode.StartAsync"/>.</summary>
public sealed class CriNodeOptions
{
    /// <summary>The command line prefix that runs guestpull: <c>["dotnet", ".../guestpull.dll"]</c> in tests, the published binary in benchmarks.</summary>
    public required IReadOnlyList<string> GuestPullCommand { get; init; }

    /// <summary>
    /// Whether containerd's CRI uses <c>guestpull snapshotter</c> (proxy driver) as its global snapshotter
    /// (the default). False keeps containerd's own overlayfs snapshotter: the runc baseline of bench/pod.
    /// </summary>
    public bool UseGuestPullSnapshotter { get; init; } = true;

    /// <summary>The shim's <c>sandbox</c>: "namespace" (the default here: fast, no QEMU) or "vm".</summary>
    public string Sandbox { get; init; } = "namespace";

    /// <summary>The guest image directory (vmlinux, initramfs.cpio.gz) for <c>sandbox = "vm"</c>.</summary>
    public string? GuestImageDirectory { get; init; }

    /// <summary>More top-level lines for the shim's TOML config.</summary>
    public string? ExtraShimConfig { get; init; }

    /// <summary>More lines for the shim config's <c>[agent]</c> table (the agent's own keys).</summary>
    public string? ExtraAgentConfig { get; init; }
}
