using System.Text;
using System.Text.Json.Nodes;
using GuestPull.Images.Bundles;
using GuestPull.Images.Store;
using GuestPull.Images.Tests.Fixtures;
using GuestPull.Linux;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Images.Tests.Bundles;

/// <summary>
/// A layer that writes <c>srv/app/new.txt</c> without an entry for <c>srv/app/</c> must not change
/// <c>srv/app</c>'s attributes: in both bundle modes they stay those of the layer below.
/// </summary>
[Trait(Requires.Trait, Requires.Root)]
public sealed class ImplicitParentDirectoryTests : IDisposable
{
    private readonly TempDirectory _temp = TempDirectory.Create("implicit-parents");
    private readonly BundleWriter _writer = new();
    private readonly List<string> _layers = [];

    public ImplicitParentDirectoryTests()
    {
        var lower = new LayerDirectory(_temp.CreateSubdirectory("layer0"))
            .Dir("srv", mode: 0x1ED)
            .Dir("srv/app", mode: 0x1E8 /* 0750 */, uid: 1000, gid: 1000)
            .Xattr("srv/app", "user.tag", [0x00, 0xff])
            .File("srv/app/old.txt", "old");
        var upper = new LayerDirectory(_temp.CreateSubdirectory("layer1"))
            .Dir("srv", mode: 0x1ED)
            .Dir("srv/app", mode: 0x1ED)
            .File("srv/app/new.txt", "new");
        Assert.True(ImplicitDirectoryMarker.Write(upper.Root, ["srv", "srv/app"]));
        _layers.Add(lower.Root);
        _layers.Add(upper.Root);
    }

    public void Dispose()
    {
        foreach (var bundle in Directory.EnumerateDirectories(_temp.Path, "bundle-*"))
        {
            _writer.RemoveAsync(bundle).GetAwaiter().GetResult();
        }

        _temp.Dispose();
    }

    [Theory]
    [InlineData(BundleMode.Overlay)]
    [InlineData(BundleMode.Flatten)]
    public async Task AnImplicitParentKeepsTheAttributesFromBelow(BundleMode mode)
    {
        var bundle = await _writer.CreateAsync(_temp.Combine("bundle-" + mode), _layers, new JsonObject(), mode);
        Assert.Equal(mode, bundle.Mode);

        var app = TreeSnapshot.Describe(Path.Combine(bundle.RootfsPath, "srv", "app"));
        Assert.Equal((FileType.Directory, 0x1E8u, 1000u, 1000u), (app.Type, app.Permissions, app.Uid, app.Gid));
        Assert.Equal("user.tag=00ff", app.Xattrs);
        Assert.Equal("old", await File.ReadAllTextAsync(Path.Combine(bundle.RootfsPath, "srv", "app", "old.txt")));
        Assert.Equal("new", await File.ReadAllTextAsync(Path.Combine(bundle.RootfsPath, "srv", "app", "new.txt")));
        Assert.DoesNotContain(ImplicitDirectoryMarker.AttributeName, ExtendedAttributes.List(bundle.RootfsPath));
    }

    [Fact]
    public void TheMarkerRoundTrips()
    {
        var layer = _temp.CreateSubdirectory("marker");
        Assert.Empty(ImplicitDirectoryMarker.Read(layer));
        Assert.True(ImplicitDirectoryMarker.Write(layer, ["a", "a/b c", "ü"]));
        Assert.Equal(["a", "a/b c", "ü"], ImplicitDirectoryMarker.Read(layer).Order(StringComparer.Ordinal));
        Assert.False(ImplicitDirectoryMarker.Write(layer, [.. Enumerable.Range(0, 20_000).Select(i => "dir/" + i)]));
        Assert.True(Encoding.UTF8.GetByteCount(string.Join('\0', ImplicitDirectoryMarker.Read(layer))) <= 3 * 1024);
    }
}
