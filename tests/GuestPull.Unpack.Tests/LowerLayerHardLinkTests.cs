using System.Text;
using GuestPull.Linux;
using GuestPull.Testing;
using GuestPull.Testing.Traits;
using GuestPull.Unpack.Tests.Helpers;

namespace GuestPull.Unpack.Tests;

/// <summary>
/// Hard links whose target is a file of a lower layer: in overlay form the layer's own directory
/// does not hold the target, so the link becomes a placeholder the bundle writer resolves; what the
/// layer itself hid before the link (a whiteout, an opaque directory, a non-directory on the path) is
/// refused, as umoci, which links in the merged tree, refuses it.
/// </summary>
[Trait(Requires.Trait, Requires.Root)]
public sealed class LowerLayerHardLinkTests
{
    [Fact]
    public async Task OverlayFormRecordsLinksToLowerFilesAsPlaceholdersThatLinksOfTheLayerShare()
    {
        await using var test = new TestRoot();
        var tar = new TarBuilder()
            .HardLink("a", "d/t")
            .HardLink("b", "a")
            .HardLink("sub/c", "../../d/t")
            .File("d/t", "replaced after the links")
            .End();

        var result = await Layers.ApplyAsync(tar, test.Root, WhiteoutMode.Overlay);

        Assert.Equal((3L, 2L), (result.HardLinks, result.LowerLayerHardLinks));
        var a = Status("a");
        Assert.Equal((FileType.CharacterDevice, 0UL, 2u), (a.Type, a.DeviceNumber, a.LinkCount));
        Assert.Equal(a.Inode, Status("b").Inode);
        Assert.NotEqual(a.Inode, Status("sub/c").Inode);
        Assert.Equal("d/t", Encoding.UTF8.GetString(ExtendedAttributes.Get(test.InRoot("a"), LowerLayerHardLinks.TargetAttribute)!));
        Assert.Equal("d/t", Encoding.UTF8.GetString(ExtendedAttributes.Get(test.InRoot("sub/c"), LowerLayerHardLinks.TargetAttribute)!));
        Assert.Equal("2", Encoding.ASCII.GetString(ExtendedAttributes.Get(test.Root, LowerLayerHardLinks.LayerAttribute)!));
        Assert.Equal("replaced after the links", File.ReadAllText(test.InRoot("d/t")));

        FileStatus Status(string path) => TreeSnapshotStatus(test.InRoot(path));
    }

    [Fact]
    public async Task LayersWithoutLinksToLowerFilesCarryNoRecord()
    {
        await using var test = new TestRoot();
        var result = await Layers.ApplyAsync(new TarBuilder().File("t", "t").HardLink("h", "t").End(), test.Root, WhiteoutMode.Overlay);

        Assert.Equal((1L, 0L), (result.HardLinks, result.LowerLayerHardLinks));
        Assert.Null(ExtendedAttributes.Get(test.Root, LowerLayerHardLinks.LayerAttribute));
        Assert.Equal(TreeSnapshotStatus(test.InRoot("t")).Inode, TreeSnapshotStatus(test.InRoot("h")).Inode);
    }

    [Theory]
    [InlineData(WhiteoutMode.Overlay)]
    [InlineData(WhiteoutMode.Apply)]
    public async Task ALinkToWhatTheLayerWhitedOutBeforeIsRefused(WhiteoutMode mode)
    {
        await using var test = new TestRoot();
        await Layers.ApplyAsync(new TarBuilder().File("d/w", "lower").End(), test.Root, mode);
        var root = mode == WhiteoutMode.Overlay ? Directory.CreateDirectory(test.InRoot("../upper")).FullName : test.Root;

        var e = await Assert.ThrowsAsync<InvalidLayerException>(
            () => Layers.ApplyAsync(new TarBuilder().File("d/.wh.w", string.Empty).HardLink("f", "d/w").End(), root, mode));

        Assert.Contains("hard link 'f' points at 'd/w', which this layer whites out", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InOverlayFormWhatTheLayerHidBeforeTheLinkIsRefused()
    {
        await using var test = new TestRoot();
        var cases = new (TarBuilder Tar, string Message)[]
        {
            (new TarBuilder().Directory("o/").File("o/.wh..wh..opq", string.Empty).HardLink("j", "o/x"), "hard link 'j' points at 'o/x', which this layer hides below an opaque directory"),
            (new TarBuilder().File(".wh.o", string.Empty).HardLink("j", "o/x"), "hard link 'j' points at 'o/x', which this layer whites out ('o')"),
            (new TarBuilder().Symlink("lnk", "d").HardLink("h", "lnk/t"), "hard link 'h' points at 'lnk/t' through 'lnk', which this layer wrote as a non-directory"),
            (new TarBuilder().File("f", "f").HardLink("h", "f/t"), "hard link 'h' points at 'f/t' through 'f', which this layer wrote as a non-directory"),
        };

        foreach (var (tar, message) in cases)
        {
            var layer = Directory.CreateDirectory(Path.Combine(test.Base, "layer-" + Guid.NewGuid().ToString("N"))).FullName;
            var e = await Assert.ThrowsAsync<InvalidLayerException>(() => Layers.ApplyAsync(tar.End(), layer, WhiteoutMode.Overlay));
            Assert.Contains(message, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ApplyFormStillRefusesATargetNoLayerHolds()
    {
        await using var test = new TestRoot();
        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => Layers.ApplyAsync(new TarBuilder().HardLink("g", "d/nothing").End(), test.Root));

        Assert.Contains("hard link 'g' points at 'd/nothing', whose directory does not exist in the root", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("trusted.guestpull.hardlink")]
    [InlineData("trusted.guestpull.lower-hardlinks")]
    [InlineData("user.guestpull.implicit-dirs")]
    public async Task LayersMayNotSetGuestPullsOwnAttributes(string name)
    {
        await using var test = new TestRoot();
        foreach (var tar in new[]
        {
            new TarBuilder().Pax(("SCHILY.xattr." + name, "d/t")).Device("fake", '3', 0, 0).End(),
            new TarBuilder().Pax(("SCHILY.xattr." + name, "1")).Directory("./").End(),
        })
        {
            var e = await Assert.ThrowsAsync<InvalidLayerException>(() => Layers.ApplyAsync(tar, test.Root, WhiteoutMode.Overlay));
            Assert.Contains($"sets extended attribute '{name}'", e.Message, StringComparison.Ordinal);
        }
    }

    private static FileStatus TreeSnapshotStatus(string path)
    {
        using var descriptor = FileSystemCalls.Open(path, OpenFlags.Path | OpenFlags.NoFollow);
        return FileSystemCalls.Stat(descriptor);
    }
}
