using System.Globalization;
using GuestPull.Linux;
using GuestPull.Testing.Traits;
using GuestPull.Unpack.Tests.Helpers;

namespace GuestPull.Unpack.Tests;

/// <summary>The native layer on its own: confinement of both resolvers, statx against coreutils' stat, binary xattrs.</summary>
public sealed class LinuxCallsTests
{
    public static TheoryData<bool> Resolvers => new() { false, true };

    [Theory]
    [MemberData(nameof(Resolvers))]
    public async Task InRootResolutionNeverLeavesTheRoot(bool userSpace)
    {
        await using var test = new TestRoot();
        Directory.CreateDirectory(test.InRoot("real/sub"));
        File.WriteAllText(test.InRoot("real/sub/f"), "inside");
        File.WriteAllText(test.InRoot("sentinel"), "root copy");
        File.CreateSymbolicLink(test.InRoot("abs"), test.Outside);          // absolute, to the real outside
        File.CreateSymbolicLink(test.InRoot("rel"), "../../outside");       // relative, climbing out
        File.CreateSymbolicLink(test.InRoot("real/up"), "../../../../..");  // climbing far beyond /
        File.CreateSymbolicLink(test.InRoot("slash"), "/real");
        File.CreateSymbolicLink(test.InRoot("loop"), "loop");
        using var root = FileSystemCalls.Open(test.Root, OpenFlags.Path | OpenFlags.Directory);

        // The absolute link resolves to <root>/<full outside path>, which does not exist in the root.
        Assert.Equal(Errno.ENOENT, Open(root, "abs/sentinel", OpenFlags.ReadOnly, userSpace, out _));
        Assert.Equal(Errno.ENOENT, Open(root, "rel/sentinel", OpenFlags.ReadOnly, userSpace, out _));
        Assert.Equal(0, Open(root, "real/up/sentinel", OpenFlags.ReadOnly, userSpace, out var viaUp));
        Assert.Equal("root copy", ReadAll(viaUp!));
        Assert.Equal(0, Open(root, "../../../sentinel", OpenFlags.ReadOnly, userSpace, out var viaDots));
        Assert.Equal("root copy", ReadAll(viaDots!));
        Assert.Equal(0, Open(root, "/slash/sub/f", OpenFlags.ReadOnly, userSpace, out var viaSlash));
        Assert.Equal("inside", ReadAll(viaSlash!));
        Assert.Equal(Errno.ELOOP, Open(root, "loop/x", OpenFlags.ReadOnly, userSpace, out _));
        Assert.Equal(Errno.ENOTDIR, Open(root, "real/sub/f/x", OpenFlags.ReadOnly, userSpace, out _));

        // NoFollow keeps the last component: an O_PATH descriptor of the link itself.
        Assert.Equal(0, Open(root, "abs", OpenFlags.Path | OpenFlags.NoFollow, userSpace, out var link));
        Assert.True(FileSystemCalls.Stat(link!).IsSymbolicLink);
        Assert.Equal(Errno.ELOOP, Open(root, "abs", OpenFlags.ReadOnly | OpenFlags.NoFollow, userSpace, out _));
        test.AssertOutsideUntouched();
    }

    [Fact]
    public async Task WalkerCreatesMissingDirectoriesInsideTheRootOnly()
    {
        await using var test = new TestRoot();
        File.CreateSymbolicLink(test.InRoot("dangling"), "/made/by/walk");
        File.CreateSymbolicLink(test.InRoot("escape"), "../outside/newdir");
        using var root = FileSystemCalls.Open(test.Root, OpenFlags.Path | OpenFlags.Directory);

        using (InRootPathWalker.Open(root, "dangling/deeper", OpenFlags.Path | OpenFlags.Directory, createMissingDirectoriesMode: 0x1ED))
        {
        }

        using (InRootPathWalker.Open(root, "escape/x", OpenFlags.Path | OpenFlags.Directory, createMissingDirectoriesMode: 0x1C0))
        {
        }

        Assert.True(Directory.Exists(test.InRoot("made/by/walk/deeper")));
        Assert.True(Directory.Exists(test.InRoot("outside/newdir/x")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(test.InRoot("outside/newdir/x")));
        test.AssertOutsideUntouched();
    }

    [Trait(Requires.Trait, Requires.Root)]
    [Fact]
    public async Task StatxAgreesWithCoreutilsStat()
    {
        await using var test = new TestRoot();
        var file = test.InRoot("f");
        File.WriteAllBytes(file, new byte[1234]);
        using var root = FileSystemCalls.Open(test.Root, OpenFlags.Path | OpenFlags.Directory);
        FileSystemCalls.ChangeOwnerAt(root, "f", 1234, 5678);
        File.SetUnixFileMode(file, (UnixFileMode)0xDED); // 06755, after chown, which clears set-id bits
        FileSystemCalls.MakeNodeAt(root, "dev", FileType.BlockDevice, 0x1A4, FileSystemCalls.MakeDevice(259, 300));
        FileSystemCalls.SetTimesAt(root, "f", new UnixTimestamp(1_000_000_000, 5), new UnixTimestamp(1_234_567_890, 123_456_789));

        var ours = FileSystemCalls.StatAt(root, "f");
        var theirs = (await Run.CheckedAsync("stat", "-c", "%f %u %g %s %Y %y", file)).Trim().Split(' ');
        Assert.Equal(uint.Parse(theirs[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture), ours.Mode);
        Assert.Equal(1234u, ours.Uid);
        Assert.Equal(5678u, ours.Gid);
        Assert.Equal(1234, ours.Size);
        Assert.Equal(1_234_567_890, ours.ModificationTime.Seconds);
        Assert.Equal(123_456_789u, ours.ModificationTime.Nanoseconds);
        Assert.Equal(0xDEDu, ours.Permissions);

        var dev = FileSystemCalls.StatAt(root, "dev");
        var devTheirs = (await Run.CheckedAsync("stat", "-c", "%F %t %T", test.InRoot("dev"))).Trim();
        Assert.Equal("block special file 103 12c", devTheirs);
        Assert.Equal(FileType.BlockDevice, dev.Type);
        Assert.Equal(259u, FileSystemCalls.DeviceMajor(dev.DeviceNumber));
        Assert.Equal(300u, FileSystemCalls.DeviceMinor(dev.DeviceNumber));
    }

    [Trait(Requires.Trait, Requires.Root)]
    [Fact]
    public async Task BinaryXattrValuesRoundTripThroughEveryForm()
    {
        await using var test = new TestRoot();
        File.WriteAllText(test.InRoot("f"), "x");
        File.CreateSymbolicLink(test.InRoot("l"), "f");
        using var root = FileSystemCalls.Open(test.Root, OpenFlags.Path | OpenFlags.Directory);
        byte[] capability = [0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        byte[] binary = [0x00, 0xff, 0xfe, 0x80, 0x00, 0x0a];

        using (var fd = FileSystemCalls.OpenAt(root, "f", OpenFlags.ReadOnly))
        {
            ExtendedAttributes.Set(fd, "security.capability", capability);
            ExtendedAttributes.Set(fd, "user.binary", binary);
            Assert.Equal(capability, ExtendedAttributes.Get(fd, "security.capability"));
        }

        // On the symlink itself, never its target.
        ExtendedAttributes.SetAt(root, "l", "trusted.on-link", binary);
        Assert.Equal(binary, ExtendedAttributes.GetAt(root, "l", "trusted.on-link"));
        Assert.Null(ExtendedAttributes.Get(test.InRoot("f"), "trusted.on-link"));
        Assert.Equal(binary, ExtendedAttributes.Get(test.InRoot("f"), "user.binary"));
        Assert.Null(ExtendedAttributes.Get(test.InRoot("f"), "user.absent"));
        Assert.Contains("security.capability", ExtendedAttributes.List(test.InRoot("f")));
        Assert.Equal(["trusted.on-link"], ExtendedAttributes.ListAt(root, "l"));
    }

    [Fact]
    public async Task FailuresNameTheCallThePathAndTheError()
    {
        await using var test = new TestRoot();
        using var root = FileSystemCalls.Open(test.Root, OpenFlags.Path | OpenFlags.Directory);
        var e = Assert.Throws<NativeCallException>(() => FileSystemCalls.OpenAt(root, "missing/file", OpenFlags.ReadOnly));
        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Contains("openat('missing/file')", e.Message, StringComparison.Ordinal);
        Assert.Contains("No such file or directory", e.Message, StringComparison.Ordinal);
        Assert.Contains("ENOENT", e.Message, StringComparison.Ordinal);

        var mkdir = Assert.Throws<NativeCallException>(() => FileSystemCalls.MakeDirectoryAt(root, "missing/dir", 0x1ED));
        Assert.Contains("mkdirat('missing/dir')", mkdir.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeviceNumbersRoundTrip()
    {
        foreach (var (major, minor) in new (uint, uint)[] { (0, 0), (1, 3), (259, 300), (4095, 255), (4096, 256), (0xfffff, 0xfffff) })
        {
            var device = FileSystemCalls.MakeDevice(major, minor);
            Assert.Equal(major, FileSystemCalls.DeviceMajor(device));
            Assert.Equal(minor, FileSystemCalls.DeviceMinor(device));
        }

        Assert.Equal(0x103ul, FileSystemCalls.MakeDevice(1, 3));
    }

    private static int Open(SafeFileDescriptor root, string path, OpenFlags flags, bool userSpace, out SafeFileDescriptor? fd)
        => userSpace
            ? InRootPathWalker.TryOpen(root, path, flags, 0, null, out fd)
            : FileSystemCalls.TryOpenInRoot(root, path, flags, 0, out fd);

    private static string ReadAll(SafeFileDescriptor fd)
    {
        using (fd)
        {
            var buffer = new byte[256];
            var read = FileSystemCalls.Read(fd, buffer);
            return System.Text.Encoding.UTF8.GetString(buffer, 0, read);
        }
    }
}
