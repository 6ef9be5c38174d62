using GuestPull.Snapshotter.Mounts;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Snapshotter.Tests;

/// <summary>nydus #723: deep images whose lowerdir list does not fit mount(2)'s page.</summary>
public sealed class OverlayPathCompactorTests
{
    [Fact]
    public void Compact_MakesEveryDirectoryRelativeToTheirDeepestCommonDirectory_OnWholeComponents()
    {
        var (directory, options) = OverlayPathCompactor.Compact(
            ["index=off", "workdir=/var/lib/gp/snapshots/123/work", "upperdir=/var/lib/gp/snapshots/123/fs", "lowerdir=/var/lib/gp/snapshots/12/fs:/var/lib/gp/snapshots/1/fs"]);

        Assert.Equal("/var/lib/gp/snapshots", directory);
        Assert.Equal(["index=off", "workdir=123/work", "upperdir=123/fs", "lowerdir=12/fs:1/fs"], options);
    }

    [Theory]
    [InlineData("lowerdir=/a/fs:/b/fs")]
    [InlineData("lowerdir=relative/1:relative/2")]
    [InlineData("lowerdir=/only/one")]
    public void Compact_LeavesOptionsAlone_WhenNothingIsGained(string lowerdir)
    {
        var (directory, options) = OverlayPathCompactor.Compact([lowerdir]);
        Assert.Null(directory);
        Assert.Equal([lowerdir], options);
    }

    [Fact]
    [Trait(Requires.Trait, Requires.Root)]
    public void Mount_OfALowerdirListLongerThanAPage_Succeeds_AndShowsEveryLayer()
    {
        using var work = TempDirectory.Create("deep-overlay");
        var snapshots = Directory.CreateDirectory(work.Combine("a-rather-long-directory-name-like-a-snapshotter-root", "snapshots")).FullName;
        var lowers = new List<string>();
        for (var i = 0; i < 90; i++)
        {
            var fs = Directory.CreateDirectory(Path.Combine(snapshots, (i + 1000).ToString(System.Globalization.CultureInfo.InvariantCulture), "fs")).FullName;
            File.WriteAllText(Path.Combine(fs, $"layer-{i}"), i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            lowers.Insert(0, fs);
        }
        var upper = Directory.CreateDirectory(Path.Combine(snapshots, "2000", "fs")).FullName;
        var workdir = Directory.CreateDirectory(Path.Combine(snapshots, "2000", "work")).FullName;
        var target = Directory.CreateDirectory(work.Combine("target")).FullName;
        var options = $"workdir={workdir},upperdir={upper},lowerdir={string.Join(':', lowers)},io.katacontainers.volume=e30=";
        Assert.True(options.Length > 4096, $"the option list is only {options.Length} bytes");

        var previous = Environment.CurrentDirectory;
        try
        {
            OverlayMountHelper.Mount(OverlayMountHelper.Parse(["overlay", target, "-o", options]));
            try
            {
                Assert.Equal("0", File.ReadAllText(Path.Combine(target, "layer-0")));
                Assert.Equal("89", File.ReadAllText(Path.Combine(target, "layer-89")));
                File.WriteAllText(Path.Combine(target, "written"), "up");
                Assert.True(File.Exists(Path.Combine(upper, "written")));
            }
            finally
            {
                Linux.Mounts.Unmount(target);
            }
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }
}
