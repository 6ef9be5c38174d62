using GuestPull.Shim.Configuration;
using GuestPull.Shim.Daemon;

namespace GuestPull.Shim.Sandbox;

/// <summary>What a backend needs to start a pod's sandbox.</summary>
/// <param name="SandboxId">The pod's id.</param>
/// <param name="NetworkNamespacePath">The pod's network namespace; null for the node's network.</param>
/// <param name="Layout">The shim's per-pod paths.</param>
/// <param name="Config">The shim config in force for the pod.</param>
/// <param name="Annotations">The first (sandbox) container's annotations: CRI's pod resource sums among them.</param>
internal sealed record SandboxRequest(
    string SandboxId,
    string? NetworkNamespacePath,
    ShimLayout Layout,
    ShimConfig Config,
    IReadOnlyDictionary<string, string> Annotations);
