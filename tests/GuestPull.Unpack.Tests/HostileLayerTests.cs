using GuestPull.Testing;
using System.Globalization;
using System.IO.Compression;
using GuestPull.Linux;
using GuestPull.Testing.Traits;
using GuestPull.Unpack.Tests.Helpers;

namespace GuestPull.Unpack.Tests;

/// <summary>
/// Layers built to escape or corrupt the root. Every test runs with openat2 and with the
/// user-space walker, and checks that the sentinel tree next to the root is untouched.
/// </summary>
[Trait(Requires.Trait, Requires.Root)]
public sealed class HostileLayerTests
{
    public static TheoryData<bool> Resolvers => new() { false, true };

    [Theory]
    [MemberData(nameof(Resolvers))]
    public async Task DotDotAndAbsoluteNamesStayInsideTheRoot(bool userSpace)
    {
        await using var test = new TestRoot();
        await ApplyCorpusAsync("dot-dot-and-absolute-names", test, userSpace);

        Assert.Equal("1", File.ReadAllText(test.InRoot("escape")));
        Assert.Equal("2", File.ReadAllText(test.InRoot("absolute")));
        Assert.Equal("3", File.ReadAllText(test.InRoot("climb")));
        Assert.Equal("4", File.ReadAllText(test.InRoot("outside/sentinel")));
        Assert.Equal("x", new FileInfo(test.InRoot("link-out")).LinkTarget);
        Assert.Equal("2", File.ReadAllText(test.InRoot("hard-out")));
        test.AssertOutsideUntouched();
    }

    [Theory]
    [MemberData(nameof(Resolvers))]
    public async Task WritesThroughASymlinkToTheRealOutsideStayInside(bool userSpace)
    {
        await using var test = new TestRoot();
        // "abs" links to the absolute path of the real sentinel tree, "rel" climbs to it.
        await ApplyCorpusAsync("writes-through-symlinks-to-outside", test, userSpace);

        // Both links resolve as if the root were "/": the writes land in the root's own copies.
        Assert.Equal("overwritten?", File.ReadAllText(test.InRoot(test.Outside.TrimStart('/') + "/sentinel")));
        Assert.Equal("overwritten?", File.ReadAllText(test.InRoot("outside/sentinel")));
        Assert.True(File.Exists(test.InRoot(test.Outside.TrimStart('/') + "/new")));
        test.AssertOutsideUntouched();
    }

    [Theory]
    [MemberData(nameof(Resolvers))]
    public async Task LowerLayerSymlinksCannotRedirectLaterLayers(bool userSpace)
    {
        await using var test = new TestRoot();
        // The upper layer writes through "etc" and replaces "sentinel-link" with a 0777 file (CVE-2021-32760: never chmod through it).
        await ApplyCorpusAsync("lower-layer-symlinks", test, userSpace);

        Assert.Equal("replaces the link", File.ReadAllText(test.InRoot("sentinel-link")));
        Assert.Equal(FileType.RegularFile, TreeSnapshot.Describe(test.InRoot("sentinel-link")).Type);
        test.AssertOutsideUntouched();
    }

    [Theory]
    [MemberData(nameof(Resolvers))]
    public async Task SymlinkReplacedByADirectoryMidLayer(bool userSpace)
    {
        await using var test = new TestRoot();
        var sameLayer = new TarBuilder()
            .Symlink("d", test.Outside)
            .File("d/written-through-link", "inside")
            .Directory("d/", mode: 0x1FF)
            .File("d/sentinel", "inside")
            .End();

        // Within one layer the second "d" is a duplicate path: refused before anything else happens to it.
        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => Layers.ApplyAsync(sameLayer, test.Root, userSpace: userSpace));
        Assert.Contains("two entries for 'd'", e.Message, StringComparison.Ordinal);
        Assert.Equal("inside", File.ReadAllText(test.InRoot(test.Outside.TrimStart('/') + "/written-through-link")));
        test.AssertOutsideUntouched();

        // Across layers the directory replaces the link (never chmod/chown through it) and writes go into it.
        await Layers.ApplyAsync(new TarBuilder().Directory("d/", mode: 0x1FF).File("d/sentinel", "inside").End(), test.Root, userSpace: userSpace);

        Assert.Equal((FileType.Directory, 0x1FFu), (TreeSnapshot.Describe(test.InRoot("d")).Type, TreeSnapshot.Describe(test.InRoot("d")).Permissions));
        Assert.Equal("inside", File.ReadAllText(test.InRoot("d/sentinel")));
        test.AssertOutsideUntouched();
    }

    [Theory]
    [MemberData(nameof(Resolvers))]
    public async Task HardLinksCannotReachOutside(bool userSpace)
    {
        await using var test = new TestRoot();
        foreach (var tar in new[]
        {
            new TarBuilder().HardLink("h", "../outside/sentinel").End(),
            new TarBuilder().HardLink("h", Path.Combine(test.Outside, "sentinel")).End(),
            new TarBuilder().Symlink("s", test.Outside).HardLink("h", "s/sentinel").End(),
            new TarBuilder().Symlink("s", "../../outside").HardLink("h", "s/sentinel").End(),
        })
        {
            var e = await Assert.ThrowsAsync<InvalidLayerException>(() => Layers.ApplyAsync(tar, test.Root, userSpace: userSpace));
            Assert.Contains("does not exist in the root", e.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(test.InRoot("h")));
        }

        test.AssertOutsideUntouched();
    }

    [Theory]
    [MemberData(nameof(Resolvers))]
    public async Task HardLinksToDirectoriesAndTheRootAreRefused(bool userSpace)
    {
        await using var test = new TestRoot();
        var toDirectory = await Assert.ThrowsAsync<InvalidLayerException>(
            () => Layers.ApplyAsync(new TarBuilder().Directory("d/").HardLink("h", "d").End(), test.Root, userSpace: userSpace));
        Assert.Contains("points at directory 'd'", toDirectory.Message, StringComparison.Ordinal);

        var toRoot = await Assert.ThrowsAsync<InvalidLayerException>(
            () => Layers.ApplyAsync(new TarBuilder().HardLink("h2", "../..").End(), test.Root, userSpace: userSpace));
        Assert.Contains("points at the root directory", toRoot.Message, StringComparison.Ordinal);
        test.AssertOutsideUntouched();
    }

    [Fact]
    public async Task EveryStackOfTheCorpusStaysInside()
    {
        foreach (var name in HostileLayerCorpus.Cases("/outside").Keys)
        {
            foreach (var mode in new[] { WhiteoutMode.Apply, WhiteoutMode.Overlay })
            {
                await using var test = new TestRoot();
                foreach (var tar in HostileLayerCorpus.Cases(test.Outside)[name])
                {
                    await Layers.ApplyAsync(tar, test.Root, Layers.Options(mode));
                }

                test.AssertOutsideUntouched();
            }
        }
    }

    [Theory]
    [InlineData(".wh...", "names '..'")]
    [InlineData("a/.wh..", "names '.'")]
    [InlineData(".wh.../x", "whiteout-named directory '.wh...'")]
    [InlineData("a/.wh../x", "whiteout-named directory '.wh..'")]
    [InlineData(".wh.", "a bare '.wh.'")]
    [InlineData("a/.wh.", "a bare '.wh.'")]
    public async Task WhiteoutsMustNameAChildOfTheirDirectory(string name, string problem)
    {
        foreach (var mode in new[] { WhiteoutMode.Apply, WhiteoutMode.Overlay })
        {
            await using var test = new TestRoot();
            await Layers.ApplyAsync(new TarBuilder().File("a/keep", "k").File("top", "t").End(), test.Root);
            var before = TreeSnapshot.Take(test.Root);

            var e = await Assert.ThrowsAsync<InvalidLayerException>(() => Layers.ApplyAsync(new TarBuilder().File(name, "").End(), test.Root, mode));

            Assert.Contains(problem, e.Message, StringComparison.Ordinal);
            TreeSnapshot.AssertEqual(before, TreeSnapshot.Take(test.Root), "root");
            test.AssertOutsideUntouched();
        }
    }

    [Theory]
    [MemberData(nameof(Resolvers))]
    public async Task WhiteoutsThroughSymlinksStayInside(bool userSpace)
    {
        await using var test = new TestRoot();
        await ApplyCorpusAsync("whiteouts-through-symlinks", test, userSpace);

        test.AssertOutsideUntouched();
    }

    [Theory]
    [InlineData(".", '2')]
    [InlineData("./", '2')]
    [InlineData("/", '2')]
    [InlineData("a/..", '2')]
    [InlineData(".", '0')]
    [InlineData("./", '1')]
    [InlineData("..", '6')]
    public async Task TheRootCannotBeReplaced(string name, char typeFlag)
    {
        await using var test = new TestRoot();
        File.WriteAllText(test.InRoot("existing"), "x");
        var tar = new TarBuilder().Header(new TarHeaderSpec { Name = name, TypeFlag = typeFlag, LinkName = typeFlag is '1' or '2' ? test.Outside : string.Empty }).End();

        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => Layers.ApplyAsync(tar, test.Root));

        Assert.Contains("would replace the root directory", e.Message, StringComparison.Ordinal);
        Assert.Equal(FileType.Directory, TreeSnapshot.Describe(test.Root).Type);
        Assert.True(File.Exists(test.InRoot("existing")));
        test.AssertOutsideUntouched();
    }

    [Theory]
    [InlineData("f", "f")]
    [InlineData("d/", "./d")]
    [InlineData("x/y", "/x/y")]
    [InlineData("a/.wh.b", "a/.wh.b")]
    [InlineData("a/.wh..wh..opq", "./a/.wh..wh..opq")]
    public async Task DuplicateEntriesAreRefused(string first, string second)
    {
        await using var test = new TestRoot();
        var tar = new TarBuilder().File(first.TrimEnd('/'), "1").File(second, "2").End();
        if (first.EndsWith('/'))
        {
            tar = new TarBuilder().Directory(first).Directory(second).End();
        }

        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => Layers.ApplyAsync(tar, test.Root));

        Assert.True(e.Message.Contains("two entries for", StringComparison.Ordinal) || e.Message.Contains("twice", StringComparison.Ordinal), e.Message);
        test.AssertOutsideUntouched();
    }

    [Fact]
    public async Task AFileCannotReplaceADirectoryHoldingThisLayersEntries()
    {
        await using var test = new TestRoot();
        var tar = new TarBuilder().File("d/inner", "1").File("d", "2").End();
        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => Layers.ApplyAsync(tar, test.Root));
        Assert.Contains("would replace a directory that holds earlier entries", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Resolvers))]
    public async Task SymlinkLoopsAndFileParentsFailCleanly(bool userSpace)
    {
        await using var test = new TestRoot();
        var loop = await Assert.ThrowsAsync<InvalidLayerException>(
            () => Layers.ApplyAsync(new TarBuilder().Symlink("a", "b").Symlink("b", "a").File("a/x", "x").End(), test.Root, userSpace: userSpace));
        Assert.Contains("is not a directory in the root (ELOOP)", loop.Message, StringComparison.Ordinal);

        var fileParent = await Assert.ThrowsAsync<InvalidLayerException>(
            () => Layers.ApplyAsync(new TarBuilder().File("f", "x").File("f/x", "x").End(), test.Root, userSpace: userSpace));
        Assert.Contains("is not a directory in the root (ENOTDIR)", fileParent.Message, StringComparison.Ordinal);
        test.AssertOutsideUntouched();
    }

    [Fact]
    public async Task XattrsOnALinkToOutsideGoOnTheLinkItself()
    {
        await using var test = new TestRoot();
        await ApplyCorpusAsync("xattrs-on-a-link-to-outside", test, userSpace: false);

        Assert.Equal("1"u8.ToArray(), ExtendedAttributes.Get(test.InRoot("l"), "trusted.evil"));
        test.AssertOutsideUntouched();
    }

    [Fact]
    public async Task OversizedPaxHeadersFailTheLayer()
    {
        await using var test = new TestRoot();
        var tar = new TarBuilder().Pax(("VENDOR.padding", new string('p', 2 << 20))).File("f", "x").End();

        var e = await Assert.ThrowsAsync<LayerLimitExceededException>(() => Layers.ApplyAsync(tar, test.Root));

        Assert.Contains("exceeds the limit of 1048576 bytes", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(test.InRoot("f")));
        test.AssertOutsideUntouched();
    }

    [Fact]
    public async Task PaxSizeMismatchCannotSmuggleEntries()
    {
        await using var test = new TestRoot();
        var smuggled = new TarBuilder().Symlink("escape", test.Outside).File("escape/sentinel", "smuggled").ToArray();
        var tar = new TarBuilder()
            .Pax(("size", smuggled.Length.ToString(CultureInfo.InvariantCulture)))
            .Header(new TarHeaderSpec { Name = "carrier", Size = 0 })
            .Data(smuggled)
            .End();

        await Layers.ApplyAsync(tar, test.Root);

        Assert.Equal(["carrier"], TreeSnapshot.Take(test.Root).Entries.Keys);
        Assert.Equal(smuggled, File.ReadAllBytes(test.InRoot("carrier")));
        test.AssertOutsideUntouched();
    }

    [Fact]
    public async Task TruncatedLayersFail()
    {
        await using var test = new TestRoot();
        var full = new TarBuilder().File("a", new byte[10_000]).File("b", "b").End().ToArray();

        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => Layers.ApplyAsync(full[..5000], test.Root, Layers.Options()));

        Assert.Contains("truncated inside entry 'a'", e.Message, StringComparison.Ordinal);
        test.AssertOutsideUntouched();
    }

    [Fact]
    public async Task GzipBombInsideAHostileLayerStopsAtTheCap()
    {
        await using var test = new TestRoot();
        var blob = new MemoryStream();
        using (var gzip = new GZipStream(blob, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(new TarBuilder().Symlink("out", test.Outside).ToArray());
            gzip.Write(new TarBuilder().Header(new TarHeaderSpec { Name = "out/sentinel", Size = 32L << 20 }).ToArray());
            var zeros = new byte[1 << 20];
            for (var i = 0; i < 32; i++)
            {
                gzip.Write(zeros);
            }
        }

        blob.Position = 0;
        await Assert.ThrowsAsync<LayerTooLargeException>(
            () => LayerApplier.ApplyCompressedAsync(blob, LayerMediaTypes.OciTarGzip, test.Root, new LayerApplyOptions { MaxLayerSize = 4L << 20 }));
        test.AssertOutsideUntouched();
    }

    [Fact]
    public async Task DeepNamesOverTheCapFail()
    {
        await using var test = new TestRoot();
        var tar = new TarBuilder().Pax(("path", string.Join('/', Enumerable.Repeat("d", 300)))).File("f", "x").End();
        var options = new LayerApplyOptions { MaxPathLength = 512 };

        var e = await Assert.ThrowsAsync<LayerLimitExceededException>(() => Layers.ApplyAsync(tar.ToArray(), test.Root, options));

        Assert.Contains("longer than 512 bytes", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Applies a stack of <see cref="HostileLayerCorpus"/> (apply form), layer by layer.</summary>
    private static async Task ApplyCorpusAsync(string name, TestRoot test, bool userSpace)
    {
        foreach (var tar in HostileLayerCorpus.Cases(test.Outside)[name])
        {
            await Layers.ApplyAsync(tar, test.Root, Layers.Options(userSpace: userSpace));
        }
    }
}
