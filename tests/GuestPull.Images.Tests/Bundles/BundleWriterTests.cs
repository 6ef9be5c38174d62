using System.Text.Json.Nodes;
using GuestPull.Images.Bundles;
using GuestPull.Images.Spec;
using GuestPull.Images.Tests.Fixtures;
using GuestPull.Linux;
using GuestPull.Oci.Model;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Images.Tests.Bundles;

/// Runs as root: mounts overlayfs, creates device nodes, sets trusted.* xattrs.
[Trait(Requires.Trait, Requires.Root)]
public sealed class BundleWriterTests : IAsyncLifetime
{
    private static readonly byte[] Capability = [0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
    private readonly TempDirectory _temp = TempDirectory.Create("bundle");
    private readonly BundleWriter _writer = new();
    private readonly List<string> _bundles = [];
    private List<string> _layers = [];

    public Task InitializeAsync()
    {
        _layers = BuildLayers();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var bundle in _bundles)
        {
            try
            {
                await _writer.RemoveAsync(bundle);
            }
            catch (InvalidOperationException)
            {
            }
        }

        _temp.Dispose();
    }

    [Fact]
    public async Task OverlayAndFlattenProduceTheSameTree()
    {
        var overlay = await CreateAsync("overlay", BundleMode.Overlay);
        var flatten = await CreateAsync("flatten", BundleMode.Flatten);
        Assert.Equal(BundleMode.Overlay, overlay.Mode);
        Assert.True(Mounts.IsMountPoint(overlay.RootfsPath));
        Assert.Equal(BundleMode.Flatten, flatten.Mode);
        Assert.False(Mounts.IsMountPoint(flatten.RootfsPath));

        var merged = TreeListing.Take(overlay.RootfsPath);
        var flat = TreeListing.Take(flatten.RootfsPath);

        Assert.Equal(merged, flat);
        Assert.Equal(File.GetUnixFileMode(overlay.RootfsPath), File.GetUnixFileMode(flatten.RootfsPath));
    }

    [Fact]
    public async Task ARepeatedLayerCountsAtItsTopmostPosition()
    {
        // Overlayfs refuses the same lowerdir twice (ELOOP); images repeat the empty layer.
        List<string> repeated = [_layers[0], _layers[1], _layers[0], _layers[2]];
        var overlay = await _writer.CreateAsync(Track(_temp.Combine("repeated-overlay")), repeated, new JsonObject(), BundleMode.Overlay);
        var flatten = await _writer.CreateAsync(Track(_temp.Combine("repeated-flatten")), repeated, new JsonObject(), BundleMode.Flatten);

        Assert.Equal(BundleMode.Overlay, overlay.Mode);
        var tree = TreeListing.Take(overlay.RootfsPath);
        Assert.Equal(tree, TreeListing.Take(flatten.RootfsPath));
        Assert.Contains("/gone.txt", tree.Keys);
        Assert.Equal("shell", await File.ReadAllTextAsync(Path.Combine(overlay.RootfsPath, "bin", "sh")));
    }

    [Theory]
    [InlineData(BundleMode.Overlay)]
    [InlineData(BundleMode.Flatten)]
    public async Task TheRootfsHasTheLayersAppliedInOrder(BundleMode mode)
    {
        var bundle = await CreateAsync("applied", mode);
        var tree = TreeListing.Take(bundle.RootfsPath);
        string At(string path) => tree.TryGetValue(path, out var line) ? line : throw new Xunit.Sdk.XunitException($"{path} missing; tree: {string.Join('\n', tree.Keys)}");

        Assert.DoesNotContain("/gone.txt", tree.Keys);
        Assert.DoesNotContain("/lib/libc.so.6", tree.Keys);
        Assert.Equal(["/data/new.txt", "/data/third.txt"], tree.Keys.Where(k => k.StartsWith("/data/", StringComparison.Ordinal)));
        Assert.StartsWith("Directory 700 1000:1000", At("/data"), StringComparison.Ordinal);
        Assert.StartsWith("Directory", At("/replace-me"), StringComparison.Ordinal);
        Assert.Contains("/replace-me/x", tree.Keys);
        Assert.StartsWith("RegularFile", At("/dir-to-file"), StringComparison.Ordinal);
        Assert.DoesNotContain("/dir-to-file/child", tree.Keys);
        Assert.Equal("new shell", await File.ReadAllTextAsync(Path.Combine(bundle.RootfsPath, "bin", "sh")));
        Assert.StartsWith("RegularFile 4755 0:0", At("/bin/su"), StringComparison.Ordinal);
        Assert.Contains("security.capability=" + Convert.ToHexString(Capability), At("/caps"), StringComparison.Ordinal);
        Assert.Contains("user.tag=" + Convert.ToHexString("blue"u8), At("/tagged"), StringComparison.Ordinal);
        Assert.Contains("links=/hard1,/hard2", At("/hard1"), StringComparison.Ordinal);
        Assert.Contains("links=/h/a,/h/b", At("/h/b"), StringComparison.Ordinal);
        Assert.Contains("dev=1,3", At("/null"), StringComparison.Ordinal);
        Assert.StartsWith("Fifo", At("/fifo"), StringComparison.Ordinal);
        Assert.EndsWith("-> /etc/issue", At("/etc/motd"), StringComparison.Ordinal);
        Assert.EndsWith("-> /", At("/abs-link"), StringComparison.Ordinal);
        Assert.Contains("xattrs[user.upper=32]", At("/etc"), StringComparison.Ordinal);
        Assert.EndsWith("-> libc.so", At("/lib/libc.so.7"), StringComparison.Ordinal);
        Assert.DoesNotContain(tree, e => e.Value.Contains("trusted.overlay", StringComparison.Ordinal) || e.Value.StartsWith("CharacterDevice 0 0:0", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(BundleMode.Overlay)]
    [InlineData(BundleMode.Flatten)]
    public async Task TheBundleIsPrivateAndHoldsTheSpecBuiltAgainstTheRootfs(BundleMode mode)
    {
        var config = new ImageConfig { Platform = new Platform("linux", "amd64"), DiffIds = [], Cmd = ["/bin/sh"], User = "app" };

        var bundle = await _writer.CreateAsync(Track(_temp.Combine("spec-" + mode)), _layers, rootfs => RuntimeSpecBuilder.Build(config, rootfs), mode);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(bundle.Directory));
        var spec = JsonNode.Parse(await File.ReadAllTextAsync(bundle.ConfigPath))!;
        Assert.Equal(1000u, (uint)spec["process"]!["user"]!["uid"]!);
        Assert.Equal("rootfs", (string?)spec["root"]!["path"]);
        Assert.Empty(Directory.GetFiles(bundle.Directory, "*.tmp"));
        Assert.True(File.Exists(Path.Combine(bundle.Directory, BundleWriter.MarkerFileName)));
    }

    [Fact]
    public async Task RemoveUnmountsAndDeletesButLeavesTheLayersAlone()
    {
        var before = _layers.Select(TreeListing.Take).ToList();
        var bundle = await CreateAsync("removed", BundleMode.Overlay);
        await File.WriteAllTextAsync(Path.Combine(bundle.RootfsPath, "written-by-container"), "x");
        File.Delete(Path.Combine(bundle.RootfsPath, "bin", "sh"));

        await _writer.RemoveAsync(bundle.Directory);

        Assert.False(Directory.Exists(bundle.Directory));
        Assert.False(Mounts.IsMountPoint(bundle.RootfsPath));
        Assert.Equal(before, _layers.Select(TreeListing.Take).ToList());
        await _writer.RemoveAsync(bundle.Directory);
    }

    [Fact]
    public async Task UnmountLeavesTheBundleInPlace()
    {
        var bundle = await CreateAsync("unmounted", BundleMode.Overlay);

        await _writer.UnmountAsync(bundle.Directory);
        await _writer.UnmountAsync(bundle.Directory);

        Assert.False(Mounts.IsMountPoint(bundle.RootfsPath));
        Assert.Empty(Directory.EnumerateFileSystemEntries(bundle.RootfsPath));
        Assert.True(File.Exists(bundle.ConfigPath));
    }

    [Fact]
    public async Task RemoveRefusesADirectoryThatIsNotABundle()
    {
        var precious = _temp.CreateSubdirectory("precious");
        await File.WriteAllTextAsync(Path.Combine(precious, "data"), "keep me");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _writer.RemoveAsync(precious));

        Assert.Contains("not a GuestPull bundle", error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(precious, "data")));
    }

    [Fact]
    public async Task CreateRefusesANonEmptyDirectory()
    {
        var occupied = _temp.CreateSubdirectory("occupied");
        await File.WriteAllTextAsync(Path.Combine(occupied, "data"), "keep me");

        var error = await Assert.ThrowsAsync<IOException>(() => _writer.CreateAsync(occupied, _layers, new JsonObject(), BundleMode.Flatten));

        Assert.Contains("is not empty", error.Message, StringComparison.Ordinal);
        Assert.Equal(["data"], Directory.EnumerateFileSystemEntries(occupied).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData(BundleMode.Overlay)]
    [InlineData(BundleMode.Flatten)]
    public async Task AFailedCreateLeavesNothingBehind(BundleMode mode)
    {
        var directory = Track(_temp.Combine("failed-" + mode));

        await Assert.ThrowsAsync<RuntimeSpecException>(() => _writer.CreateAsync(directory, _layers, _ => throw new RuntimeSpecException("no user"), mode));

        Assert.False(Directory.Exists(directory));
        Assert.False(Mounts.IsMountPoint(Path.Combine(directory, "rootfs")));
    }

    [Fact]
    public async Task FallsBackToFlattenWhenTheKernelRefusesTheOverlay()
    {
        // overlayfs can't use a directory on another overlay as its upper layer: mount fails with EINVAL.
        var lower = _temp.CreateSubdirectory("host", "lower");
        var upper = _temp.CreateSubdirectory("host", "upper");
        var work = _temp.CreateSubdirectory("host", "work");
        var host = _temp.CreateSubdirectory("host", "merged");
        Mounts.Mount("overlay", host, "overlay", 0, $"lowerdir={lower},upperdir={upper},workdir={work}");
        try
        {
            var bundle = await _writer.CreateAsync(Path.Combine(host, "bundle"), _layers, new JsonObject(), BundleMode.Overlay);

            Assert.Equal(BundleMode.Flatten, bundle.Mode);
            Assert.False(Mounts.IsMountPoint(bundle.RootfsPath));
            Assert.Equal("flatten\n", await File.ReadAllTextAsync(Path.Combine(bundle.Directory, BundleWriter.MarkerFileName)));
            Assert.False(Directory.Exists(Path.Combine(bundle.Directory, "upper")));
            var reference = await CreateAsync("reference", BundleMode.Overlay);
            Assert.Equal(TreeListing.Take(reference.RootfsPath), TreeListing.Take(bundle.RootfsPath));
            await _writer.RemoveAsync(bundle.Directory);
        }
        finally
        {
            // Detached: a process another test class starts at that moment may briefly hold the mount busy (EBUSY).
            Mounts.Unmount(host, Mounts.UnmountDetach | Mounts.UnmountNoFollow);
        }
    }

    private async Task<Bundle> CreateAsync(string name, BundleMode mode)
        => await _writer.CreateAsync(Track(_temp.Combine(name)), _layers, new JsonObject { ["ociVersion"] = "1.0.2" }, mode);

    private string Track(string bundle)
    {
        _bundles.Add(bundle);
        return bundle;
    }

    private List<string> BuildLayers()
    {
        var l1 = new LayerDirectory(_temp.CreateSubdirectory("layers", "1"))
            .Dir("bin").File("bin/sh", "shell", 0x1ED).File("bin/su", "su", 0x9ED /* 04755 */)
            .Dir("etc").Xattr("etc", "user.lower-only", "1"u8.ToArray()).File("etc/passwd", "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n").File("etc/group", "root:x:0:\n")
            .Dir("data", 0x1E8 /* 0750 */, 1000, 1000).File("data/old.txt", "old").Dir("data/sub").File("data/sub/deep.txt", "deep")
            .File("gone.txt", "bye").File("replace-me", "file").Dir("dir-to-file").File("dir-to-file/child", "c")
            .Dir("lib").File("lib/libc.so", "libc").Symlink("lib/libc.so.6", "libc.so").Symlink("lib/libc.so.7", "libc.so", 1000, 1000)
            .Node("null", FileType.CharacterDevice, 1, 3).Node("fifo", FileType.Fifo, 0, 0, 0x1A4)
            .File("caps", "ping").Xattr("caps", "security.capability", Capability)
            .File("tagged", "t").Xattr("tagged", "user.tag", "blue"u8.ToArray())
            .File("hard1", "shared").Hardlink("hard2", "hard1");
        var l2 = new LayerDirectory(_temp.CreateSubdirectory("layers", "2"))
            .Whiteout("gone.txt")
            .Dir("data", 0x1C0 /* 0700 */, 1000, 1000).Opaque("data").File("data/new.txt", "new", uid: 1000, gid: 1000)
            .Dir("replace-me", 0x1FF).File("replace-me/x", "x")
            .File("dir-to-file", "now a file")
            .Dir("bin").File("bin/sh", "new shell", 0x1ED)
            .Dir("etc").Xattr("etc", "user.upper", "2"u8.ToArray()).Symlink("etc/motd", "/etc/issue").Symlink("abs-link", "/");
        var l3 = new LayerDirectory(_temp.CreateSubdirectory("layers", "3"))
            .Dir("data", 0x1C0, 1000, 1000).File("data/third.txt", "third")
            .Dir("lib").Whiteout("lib/libc.so.6")
            .Dir("h").File("h/a", "pair").Hardlink("h/b", "h/a");

        // Directory times last: adding entries above changed them.
        foreach (var (layer, directories) in new[] { (l1, new[] { "bin", "etc", "data/sub", "data", "dir-to-file", "lib" }), (l2, ["data", "replace-me", "bin", "etc"]), (l3, ["data", "lib", "h"]) })
        {
            foreach (var directory in directories)
            {
                using var descriptor = FileSystemCalls.Open(layer.Full(directory), OpenFlags.ReadOnly | OpenFlags.Directory);
                FileSystemCalls.SetTimes(descriptor, new UnixTimestamp(1_600_000_100, 0), new UnixTimestamp(1_600_000_100, 0));
            }
        }

        return [l1.Root, l2.Root, l3.Root];
    }
}
