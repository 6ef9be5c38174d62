using GuestPull.Testing.Containerd;
using GuestPull.Testing.Cri;

namespace GuestPull.IntegrationTests.Cri.Releases;

/// <summary>Debian 12's containerd 1.6 with GuestPull as the global snapshotter (the only mode 1.6 has).</summary>
public sealed class Containerd16NodeFixture : ReleaseNodeFixture
{
    protected override Task<CriNodeOptions> OptionsAsync(IReadOnlyList<string> guestPullCommand, CancellationToken cancellationToken) =>
        Task.FromResult(new CriNodeOptions { GuestPullCommand = guestPullCommand, Release = ContainerdRelease.OnPath, InstallArguments = [] });
}
