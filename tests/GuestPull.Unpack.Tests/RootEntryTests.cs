using GuestPull.Linux;
using GuestPull.Testing;
using GuestPull.Testing.Traits;
using GuestPull.Unpack.Tests.Helpers;

namespace GuestPull.Unpack.Tests;

/// <summary>
/// A layer's <c>./</c> entry gives the root directory its owner, mode, xattrs and time (an image whose
/// user is not root needs a root it may search); in overlay form a layer without one leaves its root
/// 0755 root-owned, whatever the caller created it with.
/// </summary>
[Trait(Requires.Trait, Requires.Root)]
public sealed class RootEntryTests
{
    [Theory]
    [InlineData(WhiteoutMode.Apply, "./")]
    [InlineData(WhiteoutMode.Overlay, "./")]
    [InlineData(WhiteoutMode.Overlay, ".")]
    [InlineData(WhiteoutMode.Apply, "/")]
    public async Task TheRootTakesTheAttributesOfItsEntry(WhiteoutMode mode, string name)
    {
        await using var test = new TestRoot();
        File.SetUnixFileMode(test.Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var tar = new TarBuilder()
            .Pax(("SCHILY.xattr.user.root-tag", "r"))
            .Directory(name, mode: 0x1E8 /* 0750 */, uid: 1000, gid: 1001, mtime: 1_234_567_890)
            .File("bin/sh", "sh", mode: 0x1ED)
            .End();

        var result = await Layers.ApplyAsync(tar, test.Root, mode);

        var root = TreeSnapshot.Describe(test.Root, name => name.StartsWith("user.", StringComparison.Ordinal), includeModificationTime: true);
        Assert.Equal((FileType.Directory, 0x1E8u, 1000u, 1001u, "user.root-tag=72", 1_234_567_890L), (root.Type, root.Permissions, root.Uid, root.Gid, root.Xattrs, root.ModificationSeconds));
        Assert.True(result.HasRootEntry);
        test.AssertOutsideUntouched();
    }

    [Fact]
    public async Task InOverlayFormARootWithoutAnEntryIs0755Root()
    {
        await using var test = new TestRoot();
        File.SetUnixFileMode(test.Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var result = await Layers.ApplyAsync(new TarBuilder().File("bin/sh", "sh", mode: 0x1ED).End(), test.Root, WhiteoutMode.Overlay);

        var root = TreeSnapshot.Describe(test.Root);
        Assert.Equal((0x1EDu, 0u, 0u), (root.Permissions, root.Uid, root.Gid));
        Assert.False(result.HasRootEntry);
    }

    [Fact]
    public async Task InApplyFormARootWithoutAnEntryKeepsItsAttributes()
    {
        await using var test = new TestRoot();
        await Layers.ApplyAsync(new TarBuilder().Directory("./", mode: 0x1E8, uid: 1000, gid: 1000).End(), test.Root);

        var result = await Layers.ApplyAsync(new TarBuilder().File("bin/sh", "sh", mode: 0x1ED).End(), test.Root);

        var root = TreeSnapshot.Describe(test.Root);
        Assert.Equal((0x1E8u, 1000u, 1000u), (root.Permissions, root.Uid, root.Gid));
        Assert.False(result.HasRootEntry);
    }

    [Fact]
    public async Task TwoRootEntriesAndOverlayXattrsOnTheRootAreRefused()
    {
        await using var test = new TestRoot();
        var twice = await Assert.ThrowsAsync<InvalidLayerException>(
            () => Layers.ApplyAsync(new TarBuilder().Directory("./").Directory("/", mode: 0x1FF).End(), test.Root));
        Assert.Contains("two entries for the root directory", twice.Message, StringComparison.Ordinal);

        var overlay = await Assert.ThrowsAsync<InvalidLayerException>(
            () => Layers.ApplyAsync(new TarBuilder().Pax(("SCHILY.xattr.trusted.overlay.opaque", "y")).Directory("./").End(), test.Root, WhiteoutMode.Overlay));
        Assert.Contains("trusted.overlay.opaque", overlay.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ExtendedAttributes.List(test.Root), n => n.StartsWith("trusted.overlay.", StringComparison.Ordinal));
        test.AssertOutsideUntouched();
    }
}
