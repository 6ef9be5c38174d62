using System.Text.Json.Nodes;
using GuestPull.Images.Bundles;
using GuestPull.Images.Tests.Fixtures;
using GuestPull.Linux;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Images.Tests.Bundles;

/// <summary>
/// The rootfs's own directory takes the owner, mode and xattrs of the upper-most layer's <c>./</c>
/// entry (0755 root when no layer has one), in both bundle modes, while the bundle directory around
/// it stays 0700: a rootfs root of 0700 locks every user but root out of the image.
/// </summary>
[Trait(Requires.Trait, Requires.Root)]
public sealed class RootfsRootTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = TempDirectory.Create("rootfs-root");
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

    [Theory]
    [InlineData(BundleMode.Overlay)]
    [InlineData(BundleMode.Flatten)]
    public async Task TheRootTakesTheUpperMostRootEntry(BundleMode mode)
    {
        var lower = await UnpackedLayer.CreateAsync(_temp.Combine("l0-" + mode), new TarBuilder().Directory("./", mode: 0x1C0).File("bin/sh", "sh", mode: 0x1ED).End().ToArray());
        var middle = await UnpackedLayer.CreateAsync(_temp.Combine("l1-" + mode), new TarBuilder()
            .Pax(("SCHILY.xattr.user.root", "1"))
            .Directory("./", mode: 0x1E8 /* 0750 */, uid: 1000, gid: 1001)
            .File("etc/passwd", "app:x:1000:1001::/:/bin/sh\n").End().ToArray());
        var upper = await UnpackedLayer.CreateAsync(_temp.Combine("l2-" + mode), new TarBuilder().File("app/run", "run", mode: 0x1ED).End().ToArray());

        var bundle = await CreateAsync("entry-" + mode, [lower, middle, upper], mode);

        var root = TreeSnapshot.Describe(bundle.RootfsPath, name => name.StartsWith("user.", StringComparison.Ordinal));
        Assert.Equal((FileType.Directory, 0x1E8u, 1000u, 1001u, "user.root=31"), (root.Type, root.Permissions, root.Uid, root.Gid, root.Xattrs));
        Assert.Equal(0x1C0u, TreeSnapshot.Describe(bundle.Directory).Permissions);
    }

    [Theory]
    [InlineData(BundleMode.Overlay)]
    [InlineData(BundleMode.Flatten)]
    public async Task WithoutRootEntriesTheRootIs0755Root(BundleMode mode)
    {
        var lower = await UnpackedLayer.CreateAsync(_temp.Combine("n0-" + mode), new TarBuilder().File("bin/sh", "sh", mode: 0x1ED).End().ToArray());
        var upper = await UnpackedLayer.CreateAsync(_temp.Combine("n1-" + mode), new TarBuilder().File("app/run", "run", mode: 0x1ED).End().ToArray());

        // A layer directory kept private by whoever stored it says nothing about the rootfs.
        File.SetUnixFileMode(upper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var bundle = await CreateAsync("none-" + mode, [lower, upper], mode);

        var root = TreeSnapshot.Describe(bundle.RootfsPath);
        Assert.Equal((0x1EDu, 0u, 0u), (root.Permissions, root.Uid, root.Gid));
        Assert.Equal(0x1C0u, TreeSnapshot.Describe(bundle.Directory).Permissions);
    }

    [Theory]
    [InlineData(BundleMode.Overlay)]
    [InlineData(BundleMode.Flatten)]
    public async Task AnUpperRootEntryReplacesALowerOne(BundleMode mode)
    {
        var lower = await UnpackedLayer.CreateAsync(_temp.Combine("r0-" + mode), new TarBuilder().Pax(("SCHILY.xattr.user.lower", "1")).Directory("./", mode: 0x1C0).End().ToArray());
        var upper = await UnpackedLayer.CreateAsync(_temp.Combine("r1-" + mode), new TarBuilder().Directory("./", mode: 0x1FD /* 0775 */, uid: 5, gid: 6).End().ToArray());

        var bundle = await CreateAsync("replace-" + mode, [lower, upper], mode);

        var root = TreeSnapshot.Describe(bundle.RootfsPath, name => name.StartsWith("user.", StringComparison.Ordinal));
        Assert.Equal((0x1FDu, 5u, 6u, string.Empty), (root.Permissions, root.Uid, root.Gid, root.Xattrs));
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
