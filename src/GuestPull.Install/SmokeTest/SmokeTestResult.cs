using GuestPull.Install.Verify;

namespace GuestPull.Install.SmokeTest;

/// <summary>What the smoke-test pod did.</summary>
/// <param name="SandboxId">The pod sandbox's id.</param>
/// <param name="ContainerId">The container's id.</param>
/// <param name="ExitCode">The container's exit code.</param>
/// <param name="Output">The container's log lines.</param>
/// <param name="Verification">Where the pod's rootfs was made, or null when not checked.</param>
public sealed record SmokeTestResult(string SandboxId, string ContainerId, int ExitCode, IReadOnlyList<string> Output, SandboxVerification? Verification);
