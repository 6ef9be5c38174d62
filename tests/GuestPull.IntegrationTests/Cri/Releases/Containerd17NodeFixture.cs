using GuestPull.Testing.Containerd;
using GuestPull.Testing.Cri;

namespace GuestPull.IntegrationTests.Cri.Releases;

/// <summary>Debian trixie's containerd 1.7, configured by <c>guestpull install --config-only --runtime-specific</c> (config version 2).</summary>
public sealed class Containerd17NodeFixture : ReleaseNodeFixture
{
    protected override async Task<CriNodeOptions> OptionsAsync(IReadOnlyList<string> guestPullCommand, CancellationToken cancellationToken) =>
        new() { GuestPullCommand = guestPullCommand, Release = await ContainerdReleases.Containerd17Async(cancellationToken), InstallArguments = ["--runtime-specific"] };
}
