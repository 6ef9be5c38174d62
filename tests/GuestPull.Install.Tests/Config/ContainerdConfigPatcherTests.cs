using GuestPull.Install.Containerd;
using GuestPull.Testing;
using Tomlyn;
using Tomlyn.Model;
using GuestPull.Testing.Traits;

namespace GuestPull.Install.Tests.Config;

[Trait(Requires.Trait, Requires.Components)]
public sealed class ContainerdConfigPatcherTests
{
    private const string Address = "/run/containerd-guestpull/containerd-guestpull-grpc.sock";
    private static readonly ContainerdConfigRequest Global = new() { SnapshotterAddress = Address };
    private static readonly ContainerdConfigRequest PerRuntime = new() { SnapshotterAddress = Address, RuntimeSpecific = true };

    [Fact]
    public async Task Containerd16DefaultConfigGetsTheGlobalSnapshotterAndComesBackByteIdentical()
    {
        var original = "# managed by hand: keep this comment\n" + await TestFiles.ContainerdDefaultConfigAsync();

        var patch = ContainerdConfigPatcher.Apply(original, "config.toml", Global);

        var model = Model(patch.Text);
        var cri = Table(model, "plugins", "io.containerd.grpc.v1.cri", "containerd");
        Assert.Equal("guestpull", cri["snapshotter"]);
        Assert.Equal(false, cri["disable_snapshot_annotations"]);
        Assert.Equal(false, cri["discard_unpacked_layers"]);
        Assert.Equal("io.containerd.guestpull.v2", Table(cri, "runtimes", "guestpull")["runtime_type"]);
        Assert.Equal("io.containerd.runc.v2", Table(cri, "runtimes", "runc")["runtime_type"]);
        var proxy = Table(model, "proxy_plugins", "guestpull");
        Assert.Equal("snapshot", proxy["type"]);
        Assert.Equal(Address, proxy["address"]);
        Assert.StartsWith("# managed by hand: keep this comment\n", patch.Text, StringComparison.Ordinal);
        Assert.Equal(2, patch.Version);
        // Every line of the original is still there, in order; only the values GuestPull set changed.
        var changed = new[] { "disable_snapshot_annotations", "snapshotter = " };
        var originalLines = original.Split('\n').Where(line => !changed.Any(c => line.Contains(c, StringComparison.Ordinal))).ToList();
        var patchedLines = patch.Text.Split('\n');
        var next = 0;
        foreach (var line in patchedLines)
        {
            if (next < originalLines.Count && line == originalLines[next])
            {
                next++;
            }
        }
        Assert.Equal(originalLines.Count, next);

        var again = ContainerdConfigPatcher.Apply(patch.Text, "config.toml", Global);
        Assert.Equal(patch.Text, again.Text);
        Assert.False(again.Changed);

        Assert.Equal(original, ContainerdConfigPatcher.Revert(patch.Text, "config.toml", patch.Changes, patch.CreatedTables));
    }

    [Fact]
    public void MinimalConfigWithoutRuntimesKeepsRuncAsTheDefaultRuntime_AndComesBackByteIdentical()
    {
        // containerd swaps its whole default runtimes map for the config's: adding only guestpull would drop runc.
        const string original = "version = 2\n\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"registry.local/pause:3.9\"\n";

        var patch = ContainerdConfigPatcher.Apply(original, "config.toml", Global);

        var runtimes = Table(Model(patch.Text), "plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes");
        Assert.Equal("io.containerd.runc.v2", Table(runtimes, "runc")["runtime_type"]);
        Assert.Equal("io.containerd.guestpull.v2", Table(runtimes, "guestpull")["runtime_type"]);
        Assert.Equal(original, ContainerdConfigPatcher.Revert(patch.Text, "config.toml", patch.Changes, patch.CreatedTables));
    }

    [Fact]
    public void ConfigNamingAnotherDefaultRuntimeGetsThatOneDeclared()
    {
        const string original = "version = 2\n\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n  default_runtime_name = \"crun\"\n";

        var patch = ContainerdConfigPatcher.Apply(original, "config.toml", Global);

        var runtimes = Table(Model(patch.Text), "plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes");
        Assert.True(runtimes.ContainsKey("crun"));
        Assert.False(runtimes.ContainsKey("runc"));
    }

    [Fact]
    public async Task EditedContainerd16ConfigIsAcceptedByContainerd()
    {
        using var directory = TempDirectory.Create("install-config");
        var path = Path.Combine(directory.Path, "config.toml");
        var patch = ContainerdConfigPatcher.Apply(await TestFiles.ContainerdDefaultConfigAsync(), path, Global);
        await File.WriteAllTextAsync(path, patch.Text);

        var dump = await ProcessRunner.RunAsync("containerd", ["--config", path, "config", "dump"],
            new ProcessRunOptions { ThrowOnFailure = false, Timeout = TimeSpan.FromMinutes(1) });

        Assert.True(dump.Succeeded, dump.StandardError);
        var model = Model(dump.StandardOutput);
        Assert.Equal(Address, Table(model, "proxy_plugins", "guestpull")["address"]);
        var cri = Table(model, "plugins", "io.containerd.grpc.v1.cri", "containerd");
        Assert.Equal("guestpull", cri["snapshotter"]);
        Assert.Equal(false, cri["disable_snapshot_annotations"]);
        Assert.Equal("io.containerd.guestpull.v2", Table(cri, "runtimes", "guestpull")["runtime_type"]);
    }

    [Fact]
    public void Containerd17RuntimeSpecificModeSetsGuestPullAndKataHandlersOnly()
    {
        var original = TestFiles.ReadTestData("containerd-1.7.toml");

        var patch = ContainerdConfigPatcher.Apply(original, "config.toml", PerRuntime);

        var cri = Table(Model(patch.Text), "plugins", "io.containerd.grpc.v1.cri", "containerd");
        Assert.Equal("overlayfs", cri["snapshotter"]);
        Assert.Equal(false, cri["disable_snapshot_annotations"]);
        Assert.Equal(false, cri["discard_unpacked_layers"]);
        Assert.Equal("guestpull", Table(cri, "runtimes", "guestpull")["snapshotter"]);
        Assert.Equal("guestpull", Table(cri, "runtimes", "kata-qemu")["snapshotter"]);
        Assert.Equal(string.Empty, Table(cri, "runtimes", "runc")["snapshotter"]);
        Assert.Equal(["guestpull", "kata-qemu"], patch.SnapshotterHandlers);
        Assert.Contains("disable_snapshot_annotations = false # CRI default", patch.Text, StringComparison.Ordinal);
        Assert.Contains("# Kata Containers, as kata-deploy writes it", patch.Text, StringComparison.Ordinal);
        Assert.Contains("[proxy_plugins.stargz]", patch.Text, StringComparison.Ordinal);

        Assert.Equal(patch.Text, ContainerdConfigPatcher.Apply(patch.Text, "config.toml", PerRuntime).Text);
        Assert.Equal(original, ContainerdConfigPatcher.Revert(patch.Text, "config.toml", patch.Changes, patch.CreatedTables));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Containerd2ConfigIsEditedInTheVersion3Tables(bool runtimeSpecific)
    {
        var original = TestFiles.ReadTestData("containerd-2.0.toml");

        var patch = ContainerdConfigPatcher.Apply(original, "config.toml", runtimeSpecific ? PerRuntime : Global);

        var model = Model(patch.Text);
        var images = Table(model, "plugins", "io.containerd.cri.v1.images");
        var runtimes = Table(model, "plugins", "io.containerd.cri.v1.runtime", "containerd", "runtimes");
        Assert.Equal(false, images["disable_snapshot_annotations"]);
        Assert.Equal(runtimeSpecific ? "overlayfs" : "guestpull", images["snapshotter"]);
        Assert.Equal("io.containerd.guestpull.v2", Table(runtimes, "guestpull")["runtime_type"]);
        Assert.Equal(runtimeSpecific, Table(runtimes, "kata-clh").ContainsKey("snapshotter"));
        Assert.False(Table(model, "plugins", "io.containerd.grpc.v1.cri").ContainsKey("containerd"));
        Assert.Equal(3, patch.Version);
        Assert.Equal(original, ContainerdConfigPatcher.Revert(patch.Text, "config.toml", patch.Changes, patch.CreatedTables));
    }

    [Fact]
    public void VersionOneConfigIsRefusedNamingTheVersion()
    {
        var error = Assert.Throws<InstallException>(() =>
            ContainerdConfigPatcher.Apply(TestFiles.ReadTestData("containerd-v1.toml"), "/etc/containerd/config.toml", Global));

        Assert.Contains("/etc/containerd/config.toml", error.Message, StringComparison.Ordinal);
        Assert.Contains("version 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UndeclaredRuntimeHandlerIsRefused()
    {
        var request = PerRuntime with { RuntimeHandlers = ["guestpull", "kata-fc"] };

        var error = Assert.Throws<InstallException>(() =>
            ContainerdConfigPatcher.Apply(TestFiles.ReadTestData("containerd-1.7.toml"), "config.toml", request));

        Assert.Contains("'kata-fc'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SettingsDefinedWithDottedKeysAreRefusedInsteadOfShadowed()
    {
        const string config = "version = 2\n[plugins]\n  \"io.containerd.grpc.v1.cri\".containerd.snapshotter = \"overlayfs\"\n";

        var error = Assert.Throws<InstallException>(() => ContainerdConfigPatcher.Apply(config, "config.toml", Global));

        Assert.Contains("dotted keys", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RevertAfterSomeoneElseEditedKeepsTheirChangeAndRemovesOnlyGuestPullsKeys()
    {
        var original = TestFiles.ReadTestData("containerd-1.7.toml");
        var patch = ContainerdConfigPatcher.Apply(original, "config.toml", Global);
        var edited = patch.Text.Replace("discard_unpacked_layers = false", "discard_unpacked_layers = false\n      ignore_rdt_not_enabled_errors = true", StringComparison.Ordinal)
            .Replace("\"registry.k8s.io/pause:3.8\"", "\"registry.k8s.io/pause:3.9\"", StringComparison.Ordinal);

        var reverted = ContainerdConfigPatcher.Revert(edited, "config.toml", patch.Changes, patch.CreatedTables);

        var expected = original.Replace("discard_unpacked_layers = true", "discard_unpacked_layers = true\n      ignore_rdt_not_enabled_errors = true", StringComparison.Ordinal)
            .Replace("\"registry.k8s.io/pause:3.8\"", "\"registry.k8s.io/pause:3.9\"", StringComparison.Ordinal);
        Assert.Equal(expected, reverted);
    }

    [Fact]
    public void RemoveWithoutRecordTakesOutTheProxyPluginRuntimeAndSnapshotter()
    {
        var patch = ContainerdConfigPatcher.Apply(TestFiles.ReadTestData("containerd-1.7.toml"), "config.toml", PerRuntime);

        var removed = ContainerdConfigPatcher.RemoveWithoutRecord(patch.Text, "config.toml", PerRuntime);

        Assert.DoesNotContain("guestpull", removed, StringComparison.Ordinal);
        Assert.Contains("[proxy_plugins.stargz]", removed, StringComparison.Ordinal);
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
