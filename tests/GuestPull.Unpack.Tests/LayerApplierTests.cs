using GuestPull.Testing;
using GuestPull.Linux;
using GuestPull.Testing.Traits;
using GuestPull.Unpack.Tests.Helpers;

namespace GuestPull.Unpack.Tests;

/// <summary>Every entry type, attribute and replacement rule, on a real file system (as root).</summary>
[Trait(Requires.Trait, Requires.Root)]
public sealed class LayerApplierTests
{
    private static readonly byte[] Capability = [0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    public static TheoryData<bool> Resolvers => new() { false, true };

    [Theory]
    [MemberData(nameof(Resolvers))]
    public async Task AppliesEveryEntryType(bool userSpace)
    {
        await using var test = new TestRoot();
        var tar = new TarBuilder()
            .Directory("./", mode: 0x1C0)
            .Directory("etc/", mode: 0x1E8, uid: 10, gid: 20, mtime: 1_500_000_000)
            .File("etc/passwd", "root:x:0:0::/root:/bin/sh\n", mode: 0x1A4, uid: 0, gid: 0, mtime: 1_400_000_000)
            .File("usr/bin/sudo", "ELF-suid", mode: 0x9ED, uid: 0, gid: 0)          // 04755, parents implicit
            .File("usr/bin/wall", "ELF-sgid", mode: 0x5ED, uid: 0, gid: 5)          // 02755
            .Directory("tmp/", mode: 0x3FF)                                          // 01777
            .Symlink("etc/localtime", "/usr/share/zoneinfo/UTC", uid: 7, gid: 8, mtime: 1_300_000_000)
            .HardLink("etc/passwd-", "etc/passwd")
            .Device("dev/null", '3', 1, 3)
            .Device("dev/loop0", '4', 7, 0, mode: 0x1B0)
            .Fifo("run/initctl", mode: 0x180)
            .End();

        var result = await Layers.ApplyAsync(tar, test.Root, userSpace: userSpace);

        var tree = TreeSnapshot.Take(test.Root);
        Assert.Equal(new TreeEntry(FileType.Directory, 0x1E8, 10, 20, 0, null, null, 0, ""), tree["etc"]);
        Assert.Equal(FileType.RegularFile, tree["etc/passwd"].Type);
        Assert.Equal("root:x:0:0::/root:/bin/sh\n", File.ReadAllText(test.InRoot("etc/passwd")));
        Assert.Equal(0x9EDu, tree["usr/bin/sudo"].Permissions);
        Assert.Equal((0x5EDu, 5u), (tree["usr/bin/wall"].Permissions, tree["usr/bin/wall"].Gid));
        Assert.Equal(0x3FFu, tree["tmp"].Permissions);
        Assert.Equal(0x1EDu, tree["usr"].Permissions); // implicit parents: 0755 root
        Assert.Equal(new TreeEntry(FileType.SymbolicLink, 0x1FF, 7, 8, 23, null, "/usr/share/zoneinfo/UTC", 0, ""), tree["etc/localtime"]);
        Assert.Equal(Inode(test.InRoot("etc/passwd")), Inode(test.InRoot("etc/passwd-")));
        Assert.Equal((FileType.CharacterDevice, FileSystemCalls.MakeDevice(1, 3), 0x1B6u), (tree["dev/null"].Type, tree["dev/null"].DeviceNumber, tree["dev/null"].Permissions));
        Assert.Equal((FileType.BlockDevice, FileSystemCalls.MakeDevice(7, 0), 0x1B0u), (tree["dev/loop0"].Type, tree["dev/loop0"].DeviceNumber, tree["dev/loop0"].Permissions));
        Assert.Equal((FileType.Fifo, 0x180u), (tree["run/initctl"].Type, tree["run/initctl"].Permissions));

        // Times: files and links as recorded; directories too, although entries were added below them later.
        Assert.Equal(1_400_000_000, Mtime(test.InRoot("etc/passwd")));
        Assert.Equal(1_300_000_000, Mtime(test.InRoot("etc/localtime")));
        Assert.Equal(1_500_000_000, Mtime(test.InRoot("etc")));

        // The "./" entry gives the root its mode.
        Assert.Equal(0x1C0u, TreeSnapshot.Describe(test.Root).Permissions);

        Assert.Equal((3L, 2L, 1L, 1L, 3L), (result.Files, result.Directories, result.SymbolicLinks, result.HardLinks, result.SpecialFiles));
        Assert.Equal(42, result.Bytes);
        Assert.Equal(0, result.Warnings);
        test.AssertOutsideUntouched();
    }

    [Fact]
    public async Task SubSecondTimesFromPaxArePreserved()
    {
        await using var test = new TestRoot();
        var tar = new TarBuilder()
            .Pax(("mtime", "1700000000.987654321"))
            .File("f", "x")
            .Pax(("mtime", "1600000000.5"))
            .Directory("d/")
            .File("d/child", "added after the directory")
            .End();

        await Layers.ApplyAsync(tar, test.Root);

        Assert.Equal(new UnixTimestamp(1_700_000_000, 987_654_321), Times(test.InRoot("f")));
        Assert.Equal(new UnixTimestamp(1_600_000_000, 500_000_000), Times(test.InRoot("d")));
    }

    [Fact]
    public async Task BinaryCapabilityAndOtherXattrsAreKeptByteExact()
    {
        await using var test = new TestRoot();
        byte[] binary = [0x00, 0xff, 0x0a, 0x3d, 0xc3, 0x28];
        var tar = new TarBuilder()
            .Pax([("SCHILY.xattr.security.capability", Capability), ("SCHILY.xattr.user.bin", binary)])
            .File("bin/ping", "ELF", mode: 0x1ED, uid: 0, gid: 0)
            .Pax([("SCHILY.xattr.trusted.dir", binary)])
            .Directory("d/", mode: 0x1ED)
            .Pax([("SCHILY.xattr.trusted.link", binary)])
            .Symlink("l", "/etc/shadow")
            .End();

        await Layers.ApplyAsync(tar, test.Root);

        Assert.Equal(Capability, ExtendedAttributes.Get(test.InRoot("bin/ping"), "security.capability"));
        Assert.Equal(binary, ExtendedAttributes.Get(test.InRoot("bin/ping"), "user.bin"));
        Assert.Equal(binary, ExtendedAttributes.Get(test.InRoot("d"), "trusted.dir"));
        Assert.Equal(binary, ExtendedAttributes.Get(test.InRoot("l"), "trusted.link"));
    }

    [Fact]
    public async Task ChownDoesNotStripCapabilitiesOrSetuidBits()
    {
        await using var test = new TestRoot();
        var tar = new TarBuilder()
            .Pax([("SCHILY.xattr.security.capability", Capability)])
            .File("bin/tool", "ELF", mode: 0xDED, uid: 1000, gid: 1000)
            .End();

        await Layers.ApplyAsync(tar, test.Root);

        var entry = TreeSnapshot.Describe(test.InRoot("bin/tool"));
        Assert.Equal((0xDEDu, 1000u, 1000u), (entry.Permissions, entry.Uid, entry.Gid));
        Assert.Equal(Capability, ExtendedAttributes.Get(test.InRoot("bin/tool"), "security.capability"));
    }

    [Fact]
    public async Task ExistingDirectoriesKeepTheirContentAndTakeTheNewAttributes()
    {
        await using var test = new TestRoot();
        await Layers.ApplyAsync(new TarBuilder().Directory("d/", mode: 0x1C0, uid: 1).File("d/old", "old").End(), test.Root);

        await Layers.ApplyAsync(new TarBuilder().Directory("d/", mode: 0x1ED, uid: 2, gid: 3).File("d/new", "new").End(), test.Root);

        var d = TreeSnapshot.Describe(test.InRoot("d"));
        Assert.Equal((0x1EDu, 2u, 3u), (d.Permissions, d.Uid, d.Gid));
        Assert.Equal("old", File.ReadAllText(test.InRoot("d/old")));
        Assert.Equal("new", File.ReadAllText(test.InRoot("d/new")));
    }

    [Fact]
    public async Task EntriesReplaceWhateverIsThere()
    {
        await using var test = new TestRoot();
        await Layers.ApplyAsync(
            new TarBuilder()
                .File("file-to-dir", "f")
                .Directory("dir-to-file/").File("dir-to-file/inner/deep", "x")
                .Symlink("link-to-file", "file-to-dir")
                .File("file-to-link", "f")
                .Directory("dir-to-link/").File("dir-to-link/x", "x")
                .End(),
            test.Root);

        await Layers.ApplyAsync(
            new TarBuilder()
                .Directory("file-to-dir/")
                .File("dir-to-file", "now a file")
                .File("link-to-file", "now a file too")
                .Symlink("file-to-link", "/somewhere")
                .Symlink("dir-to-link", "file-to-dir")
                .End(),
            test.Root);

        var tree = TreeSnapshot.Take(test.Root);
        Assert.Equal(FileType.Directory, tree["file-to-dir"].Type);
        Assert.Equal("now a file", File.ReadAllText(test.InRoot("dir-to-file")));
        Assert.Equal(FileType.RegularFile, tree["link-to-file"].Type);
        Assert.Equal("now a file too", File.ReadAllText(test.InRoot("link-to-file")));
        Assert.Equal("/somewhere", tree["file-to-link"].LinkTarget);
        Assert.Equal("file-to-dir", tree["dir-to-link"].LinkTarget);
        Assert.DoesNotContain("dir-to-file/inner/deep", tree.Entries.Keys);
        Assert.DoesNotContain("dir-to-link/x", tree.Entries.Keys);
    }

    [Fact]
    public async Task HardLinkToASymlinkLinksTheSymlinkItself()
    {
        await using var test = new TestRoot();
        var tar = new TarBuilder().Symlink("l", "/etc/passwd").HardLink("hl", "l").End();

        await Layers.ApplyAsync(tar, test.Root);

        Assert.Equal("/etc/passwd", new FileInfo(test.InRoot("hl")).LinkTarget);
        Assert.Equal(Inode(test.InRoot("l")), Inode(test.InRoot("hl")));
    }

    [Fact]
    public async Task HardLinksMayPointIntoLowerLayersAndReplaceExistingFiles()
    {
        await using var test = new TestRoot();
        await Layers.ApplyAsync(new TarBuilder().File("lib/a.so", "lib").File("lib/b.so", "other").End(), test.Root);

        await Layers.ApplyAsync(new TarBuilder().HardLink("lib/b.so", "lib/a.so").End(), test.Root);

        Assert.Equal(Inode(test.InRoot("lib/a.so")), Inode(test.InRoot("lib/b.so")));
    }

    [Fact]
    public async Task ApplyFormWhiteoutsDeleteFromLowerLayersOnly()
    {
        await using var test = new TestRoot();
        await Layers.ApplyAsync(
            new TarBuilder().File("a/file", "1").Directory("a/dir/").File("a/dir/x", "x").File("a/keep", "k").File("a/recreated", "old").File("a/same-layer", "old").End(),
            test.Root);

        var result = await Layers.ApplyAsync(
            new TarBuilder()
                .File("a/.wh.file", "")
                .File("a/.wh.dir", "")
                .File("a/.wh.never-existed", "")
                .File("a/.wh.recreated", "")
                .File("a/recreated", "new")
                .File("a/same-layer", "this layer")
                .File("a/.wh.same-layer", "")   // hides the lower copy only: this layer's file stays
                .End(),
            test.Root);

        var tree = TreeSnapshot.Take(test.Root);
        Assert.Equal(["a", "a/keep", "a/recreated", "a/same-layer"], tree.Entries.Keys);
        Assert.Equal("new", File.ReadAllText(test.InRoot("a/recreated")));
        Assert.Equal("this layer", File.ReadAllText(test.InRoot("a/same-layer")));
        Assert.Equal(5, result.Whiteouts);
    }

    [Fact]
    public async Task ApplyFormOpaqueDirectoryKeepsOnlyThisLayersEntriesWhereverTheMarkerIs()
    {
        await using var test = new TestRoot();
        await Layers.ApplyAsync(
            new TarBuilder().File("d/lower1", "1").File("d/lower2", "2").File("d/sub/lower3", "3").File("d/x", "lower x").File("other/kept", "k").End(),
            test.Root);

        var result = await Layers.ApplyAsync(
            new TarBuilder()
                .File("d/x", "upper x")            // before the marker
                .File("d/sub/new", "n")            // merges into a lower directory, before the marker
                .File("d/.wh..wh..opq", "")
                .File("d/y", "upper y")            // after the marker
                .End(),
            test.Root);

        var tree = TreeSnapshot.Take(test.Root);
        Assert.Equal(["d", "d/sub", "d/sub/new", "d/x", "d/y", "other", "other/kept"], tree.Entries.Keys);
        Assert.Equal("upper x", File.ReadAllText(test.InRoot("d/x")));
        Assert.Equal(1, result.OpaqueDirectories);
    }

    [Fact]
    public async Task OverlayFormWritesOverlayWhiteoutsAndOpaqueMarkers()
    {
        await using var test = new TestRoot();
        var result = await Layers.ApplyAsync(
            new TarBuilder()
                .Directory("etc/")
                .File("etc/.wh.removed", "")
                .File("etc/.wh..wh..opq", "")
                .File("var/.wh.cache", "")          // parent not in the layer: created
                .File("gone/.wh.dir", "")
                .Directory("gone/dir/")            // same layer: a directory replaces its whiteout, hiding lower
                .File("gone/dir/f", "f")
                .File(".wh.top", "")
                .File("top/child", "c")            // an entry below this layer's whiteout
                .End(),
            test.Root,
            WhiteoutMode.Overlay);

        var tree = TreeSnapshot.Take(test.Root);
        // etc/ is opaque: its whiteout hides nothing more, and overlayfs would list it as a device.
        Assert.False(tree.Entries.ContainsKey("etc/removed"));
        Assert.Equal("trusted.overlay.opaque=79", tree["etc"].Xattrs);
        Assert.Equal(FileType.CharacterDevice, tree["var/cache"].Type);
        Assert.Equal((FileType.Directory, "trusted.overlay.opaque=79"), (tree["gone/dir"].Type, tree["gone/dir"].Xattrs));
        Assert.Equal((FileType.Directory, "trusted.overlay.opaque=79"), (tree["top"].Type, tree["top"].Xattrs));
        Assert.Equal("c", File.ReadAllText(test.InRoot("top/child")));
        Assert.DoesNotContain(tree.Entries.Keys, k => k.Contains(".wh.", StringComparison.Ordinal));
        Assert.Equal((4L, 1L), (result.Whiteouts, result.OpaqueDirectories));
    }

    [Fact]
    public async Task OverlayFormWritesNoWhiteoutsBelowAnOpaqueDirectory()
    {
        await using var test = new TestRoot();
        await Layers.ApplyAsync(
            new TarBuilder()
                .Directory("a/")
                .File("a/.wh..wh..opq", "")
                .File("a/.wh.absent", "")           // after the marker
                .Directory("a/sub/")
                .File("a/sub/.wh.deep", "")         // below it
                .Directory("b/")
                .File("b/.wh.early", "")            // before the marker
                .File("b/.wh..wh..opq", "")
                .File(".wh.c", "")
                .File("c/.wh.inside", "")           // below a whiteout turned into an opaque directory
                .File("c/kept", "k")
                .File("d/.wh.lower", "")            // no opaque directory: the whiteout stays
                .End(),
            test.Root,
            WhiteoutMode.Overlay);

        var tree = TreeSnapshot.Take(test.Root);
        Assert.Equal(["a", "a/sub", "b", "c", "c/kept", "d", "d/lower"], tree.Entries.Keys);
        Assert.Equal(FileType.CharacterDevice, tree["d/lower"].Type);
    }

    [Theory]
    [InlineData(WhiteoutMode.Apply)]
    [InlineData(WhiteoutMode.Overlay)]
    public async Task WhiteoutsBelowAFileHideNothing(WhiteoutMode mode)
    {
        // umoci writes these when a layer replaces a directory with a file.
        await using var test = new TestRoot();
        await Layers.ApplyAsync(new TarBuilder().File("lower-file", "x").End(), test.Root, mode);

        await Layers.ApplyAsync(
            new TarBuilder().File("was-dir", "now a file").File("was-dir/.wh.inner", "").File("lower-file/.wh..wh..opq", "").End(),
            test.Root,
            mode);

        Assert.Equal(["lower-file", "was-dir"], TreeSnapshot.Take(test.Root).Entries.Keys);
    }

    [Fact]
    public async Task OverlayFormWhiteoutOfThisLayersDirectoryMakesItOpaque()
    {
        await using var test = new TestRoot();
        await Layers.ApplyAsync(new TarBuilder().Directory("d/").File("d/f", "f").File(".wh.d", "").End(), test.Root, WhiteoutMode.Overlay);

        Assert.Equal("trusted.overlay.opaque=79", TreeSnapshot.Describe(test.InRoot("d")).Xattrs);
        Assert.Equal("f", File.ReadAllText(test.InRoot("d/f")));
    }

    [Theory]
    [InlineData("trusted.overlay.opaque")]
    [InlineData("trusted.overlay.redirect")]
    [InlineData("user.overlay.origin")]
    public async Task OverlayAttributesFromTheTarAreRefused(string name)
    {
        await using var test = new TestRoot();
        var tar = new TarBuilder().Pax([($"SCHILY.xattr.{name}", "y"u8.ToArray())]).Directory("d/").End();

        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => Layers.ApplyAsync(tar, test.Root));

        Assert.Contains($"sets extended attribute '{name}'", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(test.InRoot("d")));
    }

    [Fact]
    public async Task UnsupportedXattrsBecomeWarnings()
    {
        await using var test = new TestRoot();
        var ramfs = await test.MountAsync("ramfs", "ramfs"); // ramfs has no xattr support at all
        var warnings = new List<LayerApplyWarning>();
        var tar = new TarBuilder().Pax([("SCHILY.xattr.user.comment", "hello"u8.ToArray())]).File("f", "data").End();

        var result = await Layers.ApplyAsync(tar, ramfs, warnings: warnings);

        Assert.Equal("data", File.ReadAllText(Path.Combine(ramfs, "f")));
        var warning = Assert.Single(warnings);
        Assert.Equal((LayerWarningKind.ExtendedAttributeUnsupported, "f"), (warning.Kind, warning.Path));
        Assert.Contains("user.comment", warning.Message, StringComparison.Ordinal);
        Assert.Equal(1, result.Warnings);
    }

    [Fact]
    public async Task DevicesAreSkippedWithAWarningWhenMknodIsNotPermitted()
    {
        await using var test = new TestRoot();
        var warnings = new List<LayerApplyWarning>();
        var tar = new TarBuilder()
            .Device("dev/sda", '4', 8, 0)
            .HardLink("dev/sda-again", "dev/sda")
            .Fifo("dev/fifo")
            .File("f", "content")
            .End()
            .ToArray();

        Task<LayerApplyResult> apply;
        using (new DroppedCapability(ThreadCapabilities.Mknod))
        {
            // A memory stream completes every read at once, so the whole layer runs on this thread.
            apply = LayerApplier.ApplyAsync(new MemoryStream(tar), test.Root, Layers.Options(warnings: warnings));
            Assert.True(apply.IsCompleted);
        }

        var result = await apply;
        Assert.Equal((1L, 1L, 1L), (result.SkippedDevices, result.SpecialFiles, result.Files));
        Assert.Equal([LayerWarningKind.DeviceSkipped, LayerWarningKind.HardLinkSkipped], warnings.Select(w => w.Kind));
        Assert.Equal(["dev", "dev/fifo", "f"], TreeSnapshot.Take(test.Root).Entries.Keys);
    }

    [Fact]
    public async Task OverlayWhiteoutsDoNotNeedMknod()
    {
        await using var test = new TestRoot();
        var tar = new TarBuilder().File(".wh.gone", "").End().ToArray();

        Task<LayerApplyResult> apply;
        using (new DroppedCapability(ThreadCapabilities.Mknod))
        {
            apply = LayerApplier.ApplyAsync(new MemoryStream(tar), test.Root, Layers.Options(WhiteoutMode.Overlay));
            Assert.True(apply.IsCompleted);
        }

        // Linux 5.8+ exempts the 0:0 whiteout device from CAP_MKNOD, so overlay form works in user namespaces.
        Assert.Equal(1, (await apply).Whiteouts);
        Assert.Equal((FileType.CharacterDevice, 0ul), (TreeSnapshot.Describe(test.InRoot("gone")).Type, TreeSnapshot.Describe(test.InRoot("gone")).DeviceNumber));
    }

    [Fact]
    public async Task AufsMetadataIsIgnored()
    {
        await using var test = new TestRoot();
        var warnings = new List<LayerApplyWarning>();
        var tar = new TarBuilder().Directory(".wh..wh.plnk/").File(".wh..wh.plnk/123.456", "x").File("f", "kept").End();

        await Layers.ApplyAsync(tar, test.Root, warnings: warnings);

        Assert.Equal(["f"], TreeSnapshot.Take(test.Root).Entries.Keys);
        Assert.Equal(2, warnings.Count(w => w.Kind == LayerWarningKind.AufsMetadataIgnored));
    }

    [Fact]
    public async Task RunsInBothResolutionModesWithTheSameResult()
    {
        var tar = new TarBuilder()
            .Directory("a/").Symlink("a/up", "../b").File("a/up/x", "via link").Symlink("abs", "/a").File("abs/y", "via abs")
            .Symlink("dangling", "/made/here").File("dangling/z", "created under the target")
            .End();
        await using var first = new TestRoot();
        await using var second = new TestRoot();

        await Layers.ApplyAsync(tar, first.Root, userSpace: false);
        await Layers.ApplyAsync(tar, second.Root, userSpace: true);

        TreeSnapshot.AssertEqual(TreeSnapshot.Take(first.Root), TreeSnapshot.Take(second.Root), "openat2 vs walker");
        Assert.Equal("via link", File.ReadAllText(first.InRoot("b/x")));
        Assert.Equal("via abs", File.ReadAllText(first.InRoot("a/y")));
        Assert.Equal("created under the target", File.ReadAllText(first.InRoot("made/here/z")));
    }

    [Fact]
    public async Task CancellationStopsTheLayer()
    {
        await using var test = new TestRoot();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => LayerApplier.ApplyAsync(new TarBuilder().File("f", "x").End().ToStream(), test.Root, cancellationToken: cancelled.Token));
    }

    private static ulong Inode(string path)
    {
        using var fd = FileSystemCalls.Open(path, OpenFlags.Path | OpenFlags.NoFollow);
        return FileSystemCalls.Stat(fd).Inode;
    }

    private static UnixTimestamp Times(string path)
    {
        using var fd = FileSystemCalls.Open(path, OpenFlags.Path | OpenFlags.NoFollow);
        return FileSystemCalls.Stat(fd).ModificationTime;
    }

    private static long Mtime(string path)
    {
        using var fd = FileSystemCalls.Open(path, OpenFlags.Path | OpenFlags.NoFollow);
        return FileSystemCalls.Stat(fd).ModificationTime.Seconds;
    }
}
