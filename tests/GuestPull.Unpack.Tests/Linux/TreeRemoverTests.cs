using GuestPull.Testing.Traits;
using GuestPull.Linux;
using GuestPull.Unpack.Tests.Helpers;

namespace GuestPull.Unpack.Tests.Linux;

/// <summary>The one tree remover: never leaves the tree, copes with read-only directories, stops at mount points.</summary>
public sealed class TreeRemoverTests
{
    private const int DacOverride = 1;
    private const int DacReadSearch = 2;

    [Fact]
    public async Task SymlinksToDirectoriesOutsideTheTreeAreRemovedNotFollowed()
    {
        await using var test = new TestRoot();
        Directory.CreateDirectory(test.InRoot("tree/a/b"));
        File.WriteAllText(test.InRoot("tree/a/b/file"), "inside");
        Directory.CreateSymbolicLink(test.InRoot("tree/a/absolute"), test.Outside);
        Directory.CreateSymbolicLink(test.InRoot("tree/a/b/relative"), "../../../../outside/dir");
        File.CreateSymbolicLink(test.InRoot("tree/to-file"), Path.Combine(test.Outside, "sentinel"));

        TreeRemover.Delete(test.InRoot("tree"));

        Assert.False(Path.Exists(test.InRoot("tree")));
        test.AssertOutsideUntouched();
    }

    [Fact]
    public async Task ASymlinkAtTheTopIsRemovedItselfAndItsTargetKept()
    {
        await using var test = new TestRoot();
        var link = test.InRoot("link");
        Directory.CreateSymbolicLink(link, test.Outside);

        TreeRemover.Delete(link);

        Assert.False(Path.Exists(link));
        test.AssertOutsideUntouched();
    }

    [Fact]
    public async Task ReadOnlyAndUnreadableDirectoriesInsideTheTreeAreRemoved()
    {
        await using var test = new TestRoot();
        Directory.CreateDirectory(test.InRoot("ro/closed"));
        File.WriteAllText(test.InRoot("ro/file"), "x");
        File.WriteAllText(test.InRoot("ro/closed/file"), "y");
        File.SetUnixFileMode(test.InRoot("ro/closed"), UnixFileMode.None);
        File.SetUnixFileMode(test.InRoot("ro"), UnixFileMode.UserRead | UnixFileMode.UserExecute);

        // Without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH even root meets the permission bits.
        using (new DroppedCapability(DacOverride))
        using (new DroppedCapability(DacReadSearch))
        {
            TreeRemover.Delete(test.InRoot("ro"));
        }

        Assert.False(Path.Exists(test.InRoot("ro")));
        test.AssertOutsideUntouched();
    }

    [Fact]
    public async Task DeleteChildrenKeepsTheDirectoryAndItsMode()
    {
        await using var test = new TestRoot();
        Directory.CreateDirectory(test.InRoot("d/sub"));
        File.WriteAllText(test.InRoot("d/sub/file"), "x");
        File.WriteAllText(test.InRoot("d/file"), "x");
        const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
        File.SetUnixFileMode(test.InRoot("d"), Mode);

        using (var directory = FileSystemCalls.Open(test.InRoot("d"), OpenFlags.ReadOnly | OpenFlags.Directory))
        {
            TreeRemover.DeleteChildren(directory, test.InRoot("d"));
        }

        Assert.Empty(Directory.GetFileSystemEntries(test.InRoot("d")));
        Assert.Equal(Mode, File.GetUnixFileMode(test.InRoot("d")));
    }

    [Fact]
    public void AMissingPathIsNotAnError()
    {
        TreeRemover.Delete(Path.Combine(Path.GetTempPath(), "guestpull-missing-" + Guid.NewGuid().ToString("N"), "below"));
    }

    [Trait(Requires.Trait, Requires.Root)]
    [Fact]
    public async Task AMountPointInsideTheTreeIsRefusedBeforeItsContentIsTouched()
    {
        await using var test = new TestRoot();
        var mountPoint = Directory.CreateDirectory(test.InRoot("tree/mounted")).FullName;
        File.WriteAllText(test.InRoot("tree/file"), "x");
        Mounts.Mount("tmpfs", mountPoint, "tmpfs", 0, null);
        try
        {
            File.WriteAllText(Path.Combine(mountPoint, "on-the-mount"), "keep");

            var error = Assert.Throws<NativeCallException>(() => TreeRemover.Delete(test.InRoot("tree")));

            Assert.Equal(Errno.EBUSY, error.Errno);
            Assert.Contains("EBUSY", error.Message, StringComparison.Ordinal);
            Assert.Equal("keep", File.ReadAllText(Path.Combine(mountPoint, "on-the-mount")));
        }
        finally
        {
            Mounts.Unmount(mountPoint, Mounts.UnmountDetach);
        }
    }

    [Fact]
    public async Task TreesDeeperThanTheLimitAreRefused()
    {
        await using var test = new TestRoot();
        Directory.CreateDirectory(test.InRoot("1/2/3/4"));

        var error = Assert.Throws<DirectoryTooDeepException>(() => TreeRemover.Delete(test.InRoot("1"), maxDepth: 2));

        Assert.Equal(2, error.MaxDepth);
    }
}
