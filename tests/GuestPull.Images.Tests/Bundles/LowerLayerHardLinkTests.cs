using System.Text.Json.Nodes;
using GuestPull.Images.Bundles;
using GuestPull.Images.Pull;
using GuestPull.Images.Store;
using GuestPull.Images.Tests.Fixtures;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using GuestPull.Oci.Registry.Configuration;
using GuestPull.Testing;
using GuestPull.Testing.Traits;
using GuestPull.Unpack;

namespace GuestPull.Images.Tests.Bundles;

/// <summary>
/// Hard links from one layer to files of the layers below (GuestPull issue 18): an image built with
/// umoci, pushed to a real registry, pulled into the layer store and made into overlay and flattened
/// bundles gives the tree umoci unpacks: contents, modes, owners, xattrs and which names are one file,
/// for links, links to links (in the layer and across layers), targets the layer replaces or whites
/// out after the link, targets with other links, links to symlinks, and links a later layer hides.
/// Links that lead nowhere, or through a symlink, are refused naming the layer and the entry.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class LowerLayerHardLinkTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = TempDirectory.Create("lower-links");
    private readonly BundleWriter _writer = new();
    private readonly List<string> _bundles = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var bundle in _bundles)
        {
            await _writer.RemoveAsync(bundle);
        }

        _temp.Dispose();
    }

    [Fact]
    public async Task PulledImageGivesUmocisTreeInOverlayAndFlattenForm()
    {
        var layout = await BuildAsync("good", BaseLayer(), LinkingLayer(), TopLayer());
        var reference = await UmociUnpackAsync(layout);
        await using var registry = await RegistryInstance.StartAsync(CancellationToken.None);
        await ImageBuilder.PushAsync(layout, "t", registry, "links/good:t");

        await using var store = await LayerStore.OpenAsync(_temp.Combine("store"));
        using var client = new RegistryClient(ClientOptions(registry));
        var pulled = await new ImagePuller(client, store).PullAsync(ImageReference.Parse($"{registry.Host}/links/good:t"), null, null, CancellationToken.None);

        var overlay = await CreateAsync("overlay", pulled.LayerDirectories, BundleMode.Overlay);
        var flatten = await CreateAsync("flatten", pulled.LayerDirectories, BundleMode.Flatten);

        var expected = TreeSnapshot.Take(reference, Kept);
        TreeSnapshot.AssertEqual(expected, TreeSnapshot.Take(flatten.RootfsPath, Kept), "umoci vs flatten");
        TreeSnapshot.AssertEqual(expected, TreeSnapshot.Take(overlay.RootfsPath, Kept), "umoci vs overlay");
        Assert.Equal(TreeSnapshot.Describe(flatten.RootfsPath, Kept), TreeSnapshot.Describe(overlay.RootfsPath, Kept));

        // What the comparison covers, spelled out.
        Assert.Equal("b,d/t,dd,f,newdir/n,old", expected["d/t"].HardLinks);
        Assert.Equal("d/multi2,m", expected["m"].HardLinks);
        Assert.Equal(("replaced after the link", string.Empty), (await File.ReadAllTextAsync(Path.Combine(overlay.RootfsPath, "c")), expected["c"].HardLinks));
        Assert.Equal("whited out after the link", await File.ReadAllTextAsync(Path.Combine(overlay.RootfsPath, "e")));
        Assert.Equal("ox", await File.ReadAllTextAsync(Path.Combine(overlay.RootfsPath, "j")));
        Assert.Equal("t", expected["sl"].LinkTarget);
        Assert.DoesNotContain("a", expected.Entries.Keys);
        Assert.DoesNotContain("d/w", expected.Entries.Keys);
        Assert.False(Directory.Exists(Path.Combine(flatten.Directory, ".lower-links")));
        foreach (var rootfs in new[] { overlay.RootfsPath, flatten.RootfsPath })
        {
            // The layers' own records stay on the layers.
            Assert.DoesNotContain("trusted.guestpull.", TreeSnapshot.Describe(rootfs).Xattrs, StringComparison.Ordinal);
            Assert.DoesNotContain(TreeSnapshot.Take(rootfs).Entries.Values, e => e.Xattrs.Contains("trusted.guestpull.", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task APulledImageWhoseLinkLeadsNowhereIsRefusedNamingTheLayerAndTheEntry()
    {
        var missing = new TarBuilder().HardLink("g", "d/nothing").End().ToArray();
        var layout = await BuildAsync("missing", BaseLayer(), missing);
        var umoci = await ProcessRunner.RunAsync("umoci", ["unpack", "--image", layout + ":t", _temp.Combine("umoci-missing")], new ProcessRunOptions { ThrowOnFailure = false });
        Assert.False(umoci.Succeeded, "umoci refuses the image too");
        await using var registry = await RegistryInstance.StartAsync(CancellationToken.None);
        await ImageBuilder.PushAsync(layout, "t", registry, "links/missing:t", new PushOptions { PreserveDigests = true });

        await using var store = await LayerStore.OpenAsync(_temp.Combine("store"));
        using var client = new RegistryClient(ClientOptions(registry));
        var e = await Assert.ThrowsAsync<LayerPullException>(
            () => new ImagePuller(client, store).PullAsync(ImageReference.Parse($"{registry.Host}/links/missing:t"), null, null, CancellationToken.None));

        var manifest = JsonNode.Parse(ImageBuilder.ReadBlob(layout, ImageBuilder.GetDigest(layout, "t")))!;
        var layerDigest = (string)manifest["layers"]![1]!["digest"]!;
        Assert.Equal($"layer {layerDigest} of {registry.Host}/links/missing:t: hard link 'g' points at 'd/nothing', which no layer below it holds", e.Message);
        Assert.Empty(await store.ListImagesAsync());
    }

    [Fact]
    public async Task ALayerSharedByImagesLinksToTheFileOfEachImagesOwnBaseAndIsRefusedOverABaseWithoutIt()
    {
        var link = new TarBuilder().HardLink("a", "d/t").End().ToArray();
        var first = await BuildAsync("first", new TarBuilder().File("d/t", "first base").End().ToArray(), link);
        var second = await BuildAsync("second", new TarBuilder().File("d/t", "second base", mode: 0x1ED, uid: 5).End().ToArray(), link);
        var without = await BuildAsync("without", new TarBuilder().File("d/other", "no target here").End().ToArray(), link);
        await using var registry = await RegistryInstance.StartAsync(CancellationToken.None);
        foreach (var layout in new[] { first, second, without })
        {
            await ImageBuilder.PushAsync(layout, "t", registry, "links/" + Path.GetFileName(layout) + ":t", new PushOptions { PreserveDigests = true });
        }

        await using var store = await LayerStore.OpenAsync(_temp.Combine("store"));
        using var client = new RegistryClient(ClientOptions(registry));
        var puller = new ImagePuller(client, store);
        Task<PulledImage> PullAsync(string layout) => puller.PullAsync(ImageReference.Parse($"{registry.Host}/links/{Path.GetFileName(layout)}:t"), null, null, CancellationToken.None);
        var pulledFirst = await PullAsync(first);
        var pulledSecond = await PullAsync(second);
        Assert.Equal(1, pulledSecond.LayersCached);
        Assert.Equal(pulledFirst.LayerDirectories[1], pulledSecond.LayerDirectories[1]);

        var e = await Assert.ThrowsAsync<LayerPullException>(() => PullAsync(without));
        Assert.EndsWith("hard link 'a' points at 'd/t', which no layer below it holds", e.Message, StringComparison.Ordinal);

        foreach (var (layout, pulled) in new[] { (first, pulledFirst), (second, pulledSecond) })
        {
            var expected = TreeSnapshot.Take(await UmociUnpackAsync(layout), Kept);
            foreach (var mode in new[] { BundleMode.Overlay, BundleMode.Flatten })
            {
                var bundle = await CreateAsync(Path.GetFileName(layout) + "-" + mode, pulled.LayerDirectories, mode);
                TreeSnapshot.AssertEqual(expected, TreeSnapshot.Take(bundle.RootfsPath, Kept), $"umoci vs {mode} of {Path.GetFileName(layout)}");
            }

            Assert.Equal("a,d/t", expected["a"].HardLinks);
        }

        var recorded = (await store.ListImagesAsync()).Select(i => i.Reference).ToList();
        Assert.Equal(2, recorded.Count);
        Assert.DoesNotContain(recorded, r => r.Contains("/links/without:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ALinkToARepeatedLayersLowerCopyResolvesAsUmociDoes()
    {
        // The same layer twice (images repeat layers, most often the empty one): overlayfs takes a
        // layer directory once, the topmost, but a link in a layer between the copies names a file
        // only the lower copy is below.
        var repeated = new TarBuilder().File("d/t", "in the repeated layer").File("d/u", "also").End().ToArray();
        var link = new TarBuilder().HardLink("a", "d/t").HardLink("d/u2", "d/u").End().ToArray();
        var layout = await BuildAsync("repeated", repeated, link, repeated);
        var expected = TreeSnapshot.Take(await UmociUnpackAsync(layout), Kept);
        await using var registry = await RegistryInstance.StartAsync(CancellationToken.None);
        await ImageBuilder.PushAsync(layout, "t", registry, "links/repeated:t", new PushOptions { PreserveDigests = true });

        await using var store = await LayerStore.OpenAsync(_temp.Combine("store"));
        using var client = new RegistryClient(ClientOptions(registry));
        var pulled = await new ImagePuller(client, store).PullAsync(ImageReference.Parse($"{registry.Host}/links/repeated:t"), null, null, CancellationToken.None);
        Assert.Equal(pulled.LayerDirectories[0], pulled.LayerDirectories[2]);

        foreach (var mode in new[] { BundleMode.Overlay, BundleMode.Flatten })
        {
            var bundle = await CreateAsync("repeated-" + mode, pulled.LayerDirectories, mode);
            TreeSnapshot.AssertEqual(expected, TreeSnapshot.Take(bundle.RootfsPath, Kept), $"umoci vs {mode}");
        }

        Assert.Equal(expected["d/t"].Sha256, expected["a"].Sha256);
    }

    [Theory]
    [InlineData("missing", "hard link 'g' points at 'd/nothing', which no layer below it holds")]
    [InlineData("through-lower-symlink", "hard link 'h' points at 'lnk/t' through 'lnk', a symbolic link in the layers below")]
    [InlineData("through-symlink-to-outside", "hard link 'h' points at 'out/sentinel' through 'out', a symbolic link in the layers below")]
    [InlineData("dot-dot-to-outside", "hard link 'h' points at 'outside/sentinel', which no layer below it holds")]
    [InlineData("through-lower-file", "hard link 'h' points at 'old/x' through 'old', which is not a directory in the layers below")]
    [InlineData("to-lower-directory", "hard link 'h' points at directory 'd'")]
    [InlineData("in-the-base-layer", "hard link 'h' points at 'd/t', which no layer below it holds")]
    public async Task LinksThatCannotBeResolvedAreRefusedInBothFormsLeavingNothing(string name, string message)
    {
        var outside = _temp.CreateSubdirectory("outside");
        await File.WriteAllTextAsync(Path.Combine(outside, "sentinel"), "do not touch");
        var baseLayer = new TarBuilder().File("d/t", "t").Symlink("lnk", "d").Symlink("out", outside).File("old", "old").End().ToArray();
        byte[][] tars = name switch
        {
            "missing" => [baseLayer, new TarBuilder().HardLink("g", "d/nothing").End().ToArray()],
            "through-lower-symlink" => [baseLayer, new TarBuilder().HardLink("h", "lnk/t").End().ToArray()],
            "through-symlink-to-outside" => [baseLayer, new TarBuilder().HardLink("h", "out/sentinel").End().ToArray()],
            "dot-dot-to-outside" => [baseLayer, new TarBuilder().HardLink("h", "../../../../outside/sentinel").End().ToArray()],
            "through-lower-file" => [baseLayer, new TarBuilder().HardLink("h", "old/x").End().ToArray()],
            "to-lower-directory" => [baseLayer, new TarBuilder().HardLink("h", "d").End().ToArray()],
            _ => [new TarBuilder().HardLink("h", "d/t").File("d/t", "written after the link").End().ToArray()],
        };
        var layers = new List<string>();
        foreach (var (tar, index) in tars.Select((t, i) => (t, i)))
        {
            layers.Add(await UnpackedLayer.CreateAsync(_temp.Combine(name, index.ToString(System.Globalization.CultureInfo.InvariantCulture)), tar));
        }

        foreach (var mode in new[] { BundleMode.Overlay, BundleMode.Flatten })
        {
            var bundle = _temp.Combine(name + "-" + mode);
            var e = await Assert.ThrowsAsync<InvalidLayerException>(() => _writer.CreateAsync(bundle, layers, new JsonObject(), mode));
            Assert.StartsWith($"layer '{layers[^1]}': {message}", e.Message, StringComparison.Ordinal);
            Assert.False(Directory.Exists(bundle));
        }

        Assert.Equal("do not touch", await File.ReadAllTextAsync(Path.Combine(outside, "sentinel")));
        Assert.Equal(["sentinel"], Directory.EnumerateFileSystemEntries(outside).Select(Path.GetFileName));
    }

    private static bool Kept(string xattr) => !xattr.StartsWith("trusted.overlay.", StringComparison.Ordinal);

    private static byte[] BaseLayer() => new TarBuilder()
        .Directory("d/")
        .Pax(("SCHILY.xattr.user.tag", "target"))
        .File("d/t", "target", mode: 0x1A0, uid: 1000, gid: 1000)
        .File("d/r", "replaced after the link")
        .File("d/w", "whited out after the link", mode: 0x1ED)
        .File("d/multi", "multi")
        .HardLink("d/multi2", "d/multi")
        .Symlink("d/s", "t")
        .Directory("o/")
        .File("o/x", "ox")
        .File("old", "old content")
        .Symlink("lnk", "d")
        .End().ToArray();

    private static byte[] LinkingLayer() => new TarBuilder()
        .HardLink("a", "d/t")
        .HardLink("b", "a")
        .HardLink("c", "d/r")
        .Directory("d/")
        .File("d/r", "the new r")
        .HardLink("e", "d/w")
        .File("d/.wh.w", string.Empty)
        .HardLink("m", "d/multi")
        .HardLink("old", "d/t")
        .HardLink("sl", "d/s")
        .HardLink("j", "o/x")
        .Directory("o/")
        .File("o/.wh..wh..opq", string.Empty)
        .HardLink("dd", "../../d/t")
        .HardLink("newdir/n", "d/t")
        .End().ToArray();

    private static byte[] TopLayer() => new TarBuilder()
        .File(".wh.a", string.Empty)
        .HardLink("f", "b")
        .Directory("d/")
        .File("d/multi", "multi, replaced above the link")
        .End().ToArray();

    private async Task<string> BuildAsync(string name, params byte[][] layers)
    {
        var layout = _temp.Combine("layout-" + name);
        await ProcessRunner.RunAsync("umoci", ["init", "--layout", layout]);
        await ProcessRunner.RunAsync("umoci", ["new", "--image", layout + ":t"]);
        foreach (var layer in layers)
        {
            await ImageBuilder.AddRawLayerAsync(layout, "t", layer);
        }

        return layout;
    }

    private async Task<string> UmociUnpackAsync(string layout)
    {
        var bundle = _temp.Combine("umoci-" + Path.GetFileName(layout));
        await ImageBuilder.UnpackAsync(layout, "t", bundle);
        return Path.Combine(bundle, "rootfs");
    }

    private async Task<Bundle> CreateAsync(string name, IReadOnlyList<string> layers, BundleMode mode)
    {
        var directory = _temp.Combine("bundle-" + name);
        _bundles.Add(directory);
        var bundle = await _writer.CreateAsync(directory, layers, new JsonObject(), mode);
        Assert.Equal(mode, bundle.Mode);
        return bundle;
    }

    private static RegistryClientOptions ClientOptions(RegistryInstance registry) => new()
    {
        Registries = RegistriesConfiguration.Empty.WithInsecureRegistries([registry.Host]),
        CertificateDirectories = [],
    };
}
