using GuestPull.Testing.Containerd;

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

    /// <summary>The containerd release the node runs (Debian 12's 1.6 on PATH by default; 1.7 and 2.1 from <c>ContainerdReleases</c>).</summary>
    public ContainerdRelease Release { get; init; } = ContainerdRelease.OnPath;

    /// <summary>
    /// Null (the default): the node's containerd config carries GuestPull's settings as the fixture
    /// writes them (global snapshotter, version 2 only). Otherwise the fixture writes a plain config and
    /// runs <c>guestpull install --config-only</c> with these extra arguments on it (e.g.
    /// <c>["--runtime-specific"]</c>), with the release's directory first on PATH, as an operator would.
    /// </summary>
    public IReadOnlyList<string>? InstallArguments { get; init; }
}
