using GuestPull.Testing.Containerd;
using GuestPull.Testing.Cri;

namespace GuestPull.IntegrationTests.Cri.Releases;

/// <summary>Debian sid's containerd 2.1, configured by <c>guestpull install --config-only --runtime-specific</c> (config version 3).</summary>
public sealed class Containerd21NodeFixture : ReleaseNodeFixture
{
    protected override async Task<CriNodeOptions> OptionsAsync(IReadOnlyList<string> guestPullCommand, CancellationToken cancellationToken) =>
        new() { GuestPullCommand = guestPullCommand, Release = await ContainerdReleases.Containerd21Async(cancellationToken), InstallArguments = ["--runtime-specific"] };
}
