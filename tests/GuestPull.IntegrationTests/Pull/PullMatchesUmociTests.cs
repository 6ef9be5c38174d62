using GuestPull.IntegrationTests.Infrastructure;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Pull;

/// <summary>The rootfs <c>guestpull pull</c> builds equals <c>umoci unpack</c>'s, for every compression and both bundle modes.</summary>
[Trait(Requires.Trait, Requires.Components)]
[Collection(RichImageCollection.Name)]
public sealed class PullMatchesUmociTests(RichImageFixture image)
{
    [Theory]
    [InlineData(LayerCompression.Gzip, false)]
    [InlineData(LayerCompression.Gzip, true)]
    [InlineData(LayerCompression.Zstd, false)]
    [InlineData(LayerCompression.Zstd, true)]
    [InlineData(LayerCompression.None, false)]
    [InlineData(LayerCompression.None, true)]
    public async Task TheRootfsEqualsUmocisUnpack(LayerCompression compression, bool flatten)
    {
        using var work = TempDirectory.Create("pull-vs-umoci");
        var bundle = work.Combine("bundle");
        string[] args = ["pull", "--root", work.Combine("store"), "--insecure-registry", image.RegistryFor(compression).Host, "--bundle", bundle, image.Ref(compression)];
        var result = await GuestPullCli.RunAsync(flatten ? [.. args, "--flatten"] : args);
        CliAssert.Succeeded(result);
        try
        {
            var expected = TreeSnapshot.Take(image.ReferenceRootfs);
            var actual = TreeSnapshot.Take(Path.Combine(bundle, "rootfs"));
            TreeSnapshot.AssertEqual(expected, actual, $"umoci vs guestpull ({compression}, {(flatten ? "flatten" : "overlay")})");

            // The cases the image was built to exercise are really in it.
            Assert.Equal("RegularFile 6755 0:0", $"{actual["bin/suid-tool"].Type} {Convert.ToString(actual["bin/suid-tool"].Permissions, 8)} {actual["bin/suid-tool"].Uid}:{actual["bin/suid-tool"].Gid}");
            Assert.Contains("security.capability=01000002", actual["bin/cap-tool"].Xattrs, StringComparison.Ordinal);
            Assert.Contains("user.raw=00ff1080007f", actual["data/raw-xattr.txt"].Xattrs, StringComparison.Ordinal);
            Assert.False(actual.Entries.ContainsKey("data/a.txt"));
            Assert.False(actual.Entries.ContainsKey("data/opq/old.txt"));
            Assert.True(actual.Entries.ContainsKey("data/opq/new.txt"));
            Assert.False(actual.Entries.ContainsKey("data/hard2"));
            Assert.Equal("data/hard1,data/hard3", actual["data/hard1"].HardLinks);
            Assert.Equal(GuestPull.Linux.FileType.CharacterDevice, actual["data/null"].Type);
            Assert.Equal(GuestPull.Linux.FileType.Directory, actual["data/rel"].Type);
            Assert.Equal("/etc/passwd", actual["data/abs"].LinkTarget);
            Assert.Equal(1000u, actual["data/owned.txt"].Uid);
            Assert.Equal((1000u, 0x1E8u), (actual["data/owned-dir"].Uid, actual["data/owned-dir"].Permissions));
            Assert.True(actual.Entries.ContainsKey("data/owned-dir/late.txt"));
        }
        finally
        {
            var removed = await GuestPullCli.RunAsync("rm-bundle", bundle);
            CliAssert.Succeeded(removed);
        }
    }
}
