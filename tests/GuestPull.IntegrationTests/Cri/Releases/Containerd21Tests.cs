using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Cri.Releases;

/// <summary>
/// containerd 2.1 (Debian sid's), runtime-specific snapshotter (the runtime table and the images service's
/// runtime_platforms) as <c>guestpull install --config-only --runtime-specific</c> writes it on a version 3
/// config; the pod tests are <see cref="RuntimeSpecificReleaseTests"/>'s.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
[Collection(CriCollection.Name)]
public sealed class Containerd21Tests(Containerd21NodeFixture fixture) : RuntimeSpecificReleaseTests(fixture), IClassFixture<Containerd21NodeFixture>
{
    [Fact]
    public async Task InstallOutput_IsTheRuntimeSpecificVersion3Config_WithTheImagesRuntimePlatform()
    {
        var config = await File.ReadAllTextAsync(Fixture.Node.Containerd.Layout.ConfigPath);
        Assert.Contains("[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.guestpull]", config, StringComparison.Ordinal);
        Assert.Contains("[plugins.\"io.containerd.cri.v1.images\".runtime_platforms.guestpull]", config, StringComparison.Ordinal);
        await UninstallRestores.CheckAsync(Fixture.Node);
    }

    /// <summary>doctor reads the version from the running 2.1 and checks the images service's runtime_platforms the install wrote.</summary>
    [Fact]
    public async Task Doctor_PassesTheRuntimePlatformsCheck()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var finding = await new HostImageCommands(Fixture.Node, ["--runtime-specific"]).DoctorAsync("containerd.runtime-platforms", timeout.Token);
        Assert.True(finding.Status == "PASS", finding.ToString());
    }
}
