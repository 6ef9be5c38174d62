using GuestPull.Install.Containerd;
using GuestPull.Testing;
using GuestPull.Testing.Containerd;
using GuestPull.Testing.Traits;
using Tomlyn;
using Tomlyn.Model;

namespace GuestPull.Install.Tests.Config;

/// <summary>
/// Runtime-specific installs on the default configs of Debian's containerd 1.7.24 and 2.1.9 (TestData,
/// made by each release's <c>containerd config default</c>), and what those releases read back.
/// </summary>
public sealed class ContainerdReleaseConfigTests
{
    private const string Address = "/run/containerd-guestpull/containerd-guestpull-grpc.sock";
    private static readonly ContainerdConfigRequest PerRuntime = new() { SnapshotterAddress = Address, RuntimeSpecific = true };

    [Fact]
    public void Containerd17Default_GetsTheRuntimesSnapshotter_AndComesBackByteIdentical()
    {
        var original = TestFiles.ReadTestData("containerd-1.7.24-default.toml");

        var patch = ContainerdConfigPatcher.Apply(original, "config.toml", PerRuntime);

        var cri = Table(Model(patch.Text), "plugins", "io.containerd.grpc.v1.cri", "containerd");
        Assert.Equal(2, patch.Version);
        Assert.Equal("overlayfs", cri["snapshotter"]);
        Assert.Equal(false, cri["disable_snapshot_annotations"]);
        Assert.Equal(false, cri["discard_unpacked_layers"]);
        Assert.Equal("guestpull", Table(cri, "runtimes", "guestpull")["snapshotter"]);
        Assert.Equal("io.containerd.guestpull.v2", Table(cri, "runtimes", "guestpull")["runtime_type"]);
        Assert.Equal(string.Empty, Table(cri, "runtimes", "runc")["snapshotter"]);
        Assert.DoesNotContain("runtime_platforms", patch.Text, StringComparison.Ordinal);
        Assert.Equal(patch.Text, ContainerdConfigPatcher.Apply(patch.Text, "config.toml", PerRuntime).Text);
        Assert.Equal(original, ContainerdConfigPatcher.Revert(patch.Text, "config.toml", patch.Changes, patch.CreatedTables));
    }

    [Fact]
    public void Containerd21Default_GetsTheRuntimesSnapshotterAndTheImagesRuntimePlatform_AndComesBackByteIdentical()
    {
        var original = TestFiles.ReadTestData("containerd-2.1.9-default.toml");

        var patch = ContainerdConfigPatcher.Apply(original, "config.toml", PerRuntime);

        var model = Model(patch.Text);
        var images = Table(model, "plugins", "io.containerd.cri.v1.images");
        var runtimes = Table(model, "plugins", "io.containerd.cri.v1.runtime", "containerd", "runtimes");
        Assert.Equal(3, patch.Version);
        Assert.Equal("overlayfs", images["snapshotter"]);
        Assert.Equal(false, images["disable_snapshot_annotations"]);
        Assert.Equal("guestpull", Table(images, "runtime_platforms", "guestpull")["snapshotter"]);
        Assert.Equal("guestpull", Table(runtimes, "guestpull")["snapshotter"]);
        Assert.Equal("io.containerd.guestpull.v2", Table(runtimes, "guestpull")["runtime_type"]);
        Assert.Equal(string.Empty, Table(runtimes, "runc")["snapshotter"]);
        Assert.False(Table(images, "runtime_platforms").ContainsKey("runc"));
        Assert.Equal(patch.Text, ContainerdConfigPatcher.Apply(patch.Text, "config.toml", PerRuntime).Text);
        Assert.Equal(original, ContainerdConfigPatcher.Revert(patch.Text, "config.toml", patch.Changes, patch.CreatedTables));
    }

    [Fact]
    public void Containerd21_RemoveWithoutRecord_TakesTheRuntimePlatformOutToo()
    {
        var patch = ContainerdConfigPatcher.Apply(TestFiles.ReadTestData("containerd-2.1.9-default.toml"), "config.toml", PerRuntime);

        var removed = ContainerdConfigPatcher.RemoveWithoutRecord(patch.Text, "config.toml", PerRuntime);

        Assert.DoesNotContain("guestpull", removed, StringComparison.Ordinal);
        Assert.DoesNotContain("runtime_platforms", removed, StringComparison.Ordinal);
    }

    [Fact]
    [Trait(Requires.Trait, Requires.Components)]
    public async Task Containerd17_ReadsTheEditedConfig_WithGuestPullForItsHandlerOnly()
    {
        var release = await ContainerdReleases.Containerd17Async();
        var dump = Model(await DumpAsync(release, "containerd-1.7.24-default.toml"));

        var cri = Table(dump, "plugins", "io.containerd.grpc.v1.cri", "containerd");
        Assert.Equal("guestpull", Table(cri, "runtimes", "guestpull")["snapshotter"]);
        Assert.Equal("overlayfs", cri["snapshotter"]);
        Assert.Equal(Address, Table(dump, "proxy_plugins", "guestpull")["address"]);
    }

    [Fact]
    [Trait(Requires.Trait, Requires.Components)]
    public async Task Containerd21_ReadsTheEditedConfig_WithGuestPullAsItsHandlersPullSnapshotter()
    {
        var release = await ContainerdReleases.Containerd21Async();
        var dump = Model(await DumpAsync(release, "containerd-2.1.9-default.toml"));

        var images = Table(dump, "plugins", "io.containerd.cri.v1.images");
        Assert.Equal("guestpull", Table(images, "runtime_platforms", "guestpull")["snapshotter"]);
        Assert.Equal(false, images["disable_snapshot_annotations"]);
        Assert.Equal("guestpull", Table(dump, "plugins", "io.containerd.cri.v1.runtime", "containerd", "runtimes", "guestpull")["snapshotter"]);
    }

    private static async Task<string> DumpAsync(ContainerdRelease release, string testData)
    {
        using var directory = TempDirectory.Create("install-release-config");
        var path = Path.Combine(directory.Path, "config.toml");
        await File.WriteAllTextAsync(path, ContainerdConfigPatcher.Apply(TestFiles.ReadTestData(testData), path, PerRuntime).Text);
        var dump = await ProcessRunner.RunAsync(release.ContainerdPath, ["--config", path, "config", "dump"],
            new ProcessRunOptions { ThrowOnFailure = false, Timeout = TimeSpan.FromMinutes(1) });
        Assert.True(dump.Succeeded, dump.StandardError);
        return dump.StandardOutput;
    }

    private static TomlTable Model(string text) => TomlSerializer.Deserialize<TomlTable>(text)!;

    private static TomlTable Table(TomlTable table, params string[] path)
    {
        foreach (var part in path)
        {
            table = Assert.IsType<TomlTable>(table[part]);
        }
        return table;
    }
}
