using GuestPull.Snapshotter.Mounts;

namespace GuestPull.Snapshotter.Tests;

/// <summary>Parsing what mount.fuse passes to nydus-overlayfs; the mount itself is exercised by the CRI end-to-end tests.</summary>
public sealed class OverlayMountHelperTests
{
    [Fact]
    public void Parse_DropsTheKataVolume_AndKeepsOverlayOptions()
    {
        var mount = OverlayMountHelper.Parse(["overlay", "/mnt/target", "-o", "workdir=/s/3/work,upperdir=/s/3/fs,lowerdir=/s/1/fs:/s/2/fs,io.katacontainers.volume=eyJ9,ro,nodev"]);

        Assert.Equal("/mnt/target", mount.Target);
        Assert.Equal("workdir=/s/3/work,upperdir=/s/3/fs,lowerdir=/s/1/fs:/s/2/fs", mount.Data);
        Assert.Equal(Linux.Mounts.ReadOnly | Linux.Mounts.NoDev, mount.Flags);
    }

    [Fact]
    public void Parse_AcceptsSeveralOptionLists_AndTheJoinedForm()
    {
        var mount = OverlayMountHelper.Parse(["-olowerdir=/a", "overlay", "-o", "extraoption=abc,rw", "/t"]);

        Assert.Equal("/t", mount.Target);
        Assert.Equal("lowerdir=/a", mount.Data);
        Assert.Equal(0UL, mount.Flags);
    }

    [Theory]
    [InlineData(new[] { "overlay" }, "positional")]
    [InlineData(new[] { "overlay", "/t", "-o" }, "-o needs")]
    [InlineData(new[] { "overlay", "/t", "-o", "upperdir=/u" }, "no lowerdir")]
    public void Parse_RefusesWhatIsNotAnOverlayMount(string[] arguments, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => OverlayMountHelper.Parse(arguments));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
