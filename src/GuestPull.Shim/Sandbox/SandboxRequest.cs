using GuestPull.Shim.Configuration;
using GuestPull.Shim.Daemon;

namespace GuestPull.Shim.Sandbox;

/// <summary>What a backend needs to start a pod's sandbox.</summary>
internal sealed record SandboxRequest(
    string SandboxId,
    string? NetworkNamespacePath,
    ShimLayout Layout,
    ShimConfig Config);
