using GuestPull.Cli.Verify;

namespace GuestPull.Cli.SmokeTest;

/// <summary>What the smoke-test pod did.</summary>
internal sealed record SmokeTestResult(string SandboxId, string ContainerId, int ExitCode, IReadOnlyList<string> Output, SandboxVerification? Verification);
