using GuestPull.IntegrationTests.Infrastructure;
using GuestPull.Testing;
using GuestPull.Testing.Cri;

namespace GuestPull.IntegrationTests.Cri;

/// <summary>Runs the CLI's <c>guestpull verify</c> and <c>smoke-test</c> against a <see cref="CriNode"/>.</summary>
internal static class CriNodeVerification
{
    public static Task<ProcessResult> VerifyAsync(this CriNode node, string sandboxId, params string[] extra) =>
        GuestPullCli.RunAsync(["verify", sandboxId, "--shared-root", node.SharedRoot, "--address", node.Containerd.GrpcAddress, .. extra]);

    public static Task<ProcessResult> SmokeTestAsync(this CriNode node, IEnumerable<string> options, string image, params string[] command) =>
        GuestPullCli.RunAsync(["smoke-test", "--shared-root", node.SharedRoot, "--address", node.Containerd.GrpcAddress, "--log-dir", node.Work.Combine("smoke-logs"), .. options, image, "--", .. command]);
}
