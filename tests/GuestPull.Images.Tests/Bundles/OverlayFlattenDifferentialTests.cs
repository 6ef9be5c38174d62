using System.Text.Json.Nodes;
using GuestPull.Images.Bundles;
using GuestPull.Images.Tests.Fixtures;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Images.Tests.Bundles;

/// <summary>
/// For every stack of the hostile layer corpus, unpacked as the image puller stores layers, the
/// overlay bundle and the flattened bundle are the same tree: type, mode, owner, content, link target,
/// device number, xattrs and hard-link groups of every path, and the root's own attributes.
/// </summary>
[Trait(Requires.Trait, Requires.Root)]
public sealed class OverlayFlattenDifferentialTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = TempDirectory.Create("differential");
    private readonly BundleWriter _writer = new();
    private readonly List<string> _bundles = [];

    public static TheoryData<string> CaseNames => [.. HostileLayerCorpus.Cases("/outside").Keys];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var bundle in _bundles)
        {
            await _writer.RemoveAsync(bundle);
        }

        _temp.Dispose();
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task OverlayAndFlattenGiveTheSameTree(string name)
    {
        var outside = _temp.CreateSubdirectory("outside");
        await File.WriteAllTextAsync(Path.Combine(outside, "sentinel"), "do not touch");
        var layers = new List<string>();
        foreach (var (tar, index) in HostileLayerCorpus.Cases(outside)[name].Select((t, i) => (t, i)))
        {
            layers.Add(await UnpackedLayer.CreateAsync(_temp.Combine("layers", index.ToString(System.Globalization.CultureInfo.InvariantCulture)), tar));
        }

        var overlay = await CreateAsync("overlay", layers, BundleMode.Overlay);
        var flatten = await CreateAsync("flatten", layers, BundleMode.Flatten);

        static bool Kept(string xattr) => !xattr.StartsWith("trusted.overlay.", StringComparison.Ordinal);
        TreeSnapshot.AssertEqual(TreeSnapshot.Take(flatten.RootfsPath, Kept), TreeSnapshot.Take(overlay.RootfsPath, Kept), $"{name}: flatten vs overlay");
        Assert.Equal(TreeSnapshot.Describe(flatten.RootfsPath, Kept), TreeSnapshot.Describe(overlay.RootfsPath, Kept));
        Assert.Equal("do not touch", await File.ReadAllTextAsync(Path.Combine(outside, "sentinel")));
        Assert.Equal(["sentinel"], Directory.EnumerateFileSystemEntries(outside).Select(Path.GetFileName));
    }

    private async Task<Bundle> CreateAsync(string name, List<string> layers, BundleMode mode)
    {
        var directory = _temp.Combine("bundle-" + name);
        _bundles.Add(directory);
        var bundle = await _writer.CreateAsync(directory, layers, new JsonObject(), mode);
        Assert.Equal(mode, bundle.Mode);
        return bundle;
    }
}
