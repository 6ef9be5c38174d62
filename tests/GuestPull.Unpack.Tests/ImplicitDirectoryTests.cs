using GuestPull.Testing;
using GuestPull.Testing.Traits;
using GuestPull.Unpack.Tests.Helpers;

namespace GuestPull.Unpack.Tests;

/// <summary>The applier reports the parent directories a layer needed but had no entry for.</summary>
[Trait(Requires.Trait, Requires.Root)]
public sealed class ImplicitDirectoryTests
{
    [Fact]
    public async Task ParentsWithoutEntriesAreReportedAndExplicitOnesAreNot()
    {
        await using var test = new TestRoot();
        var tar = new TarBuilder()
            .File("a/b/file", "x")
            .Directory("a/", mode: 0x1C0)
            .File("c/d", "y")
            .End();

        var result = await Layers.ApplyAsync(tar, test.Root, WhiteoutMode.Overlay);

        Assert.Equal(["a/b", "c"], result.ImplicitDirectories);
    }

    [Fact]
    public async Task ALayerWithEveryParentHasNone()
    {
        await using var test = new TestRoot();
        var tar = new TarBuilder().Directory("a/").File("a/file", "x").End();

        var result = await Layers.ApplyAsync(tar, test.Root, WhiteoutMode.Overlay);

        Assert.Empty(result.ImplicitDirectories);
    }
}
