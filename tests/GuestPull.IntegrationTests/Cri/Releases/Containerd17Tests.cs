using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Cri.Releases;

/// <summary>
/// containerd 1.7 (Debian trixie's), runtime-specific snapshotter as <c>guestpull install --config-only
/// --runtime-specific</c> writes it on a version 2 config; the pod tests are <see cref="RuntimeSpecificReleaseTests"/>'s.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
[Collection(CriCollection.Name)]
public sealed class Containerd17Tests(Containerd17NodeFixture fixture) : RuntimeSpecificReleaseTests(fixture), IClassFixture<Containerd17NodeFixture>
{
    [Fact]
    public async Task InstallOutput_IsTheRuntimeSpecificVersion2Config()
    {
        var config = await File.ReadAllTextAsync(Fixture.Node.Containerd.Layout.ConfigPath);
        Assert.Contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.guestpull]", config, StringComparison.Ordinal);
        Assert.DoesNotContain("runtime_platforms", config, StringComparison.Ordinal);
        Assert.Contains("snapshotter = \"guestpull\"", config, StringComparison.Ordinal);
        await UninstallRestores.CheckAsync(Fixture.Node);
    }
}
