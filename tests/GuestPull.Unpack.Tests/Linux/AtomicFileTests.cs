using GuestPull.Linux;
using GuestPull.Testing;

namespace GuestPull.Unpack.Tests.Linux;

/// <summary>The one atomic file writer: all or nothing, exact mode, no temporary file left behind.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly TempDirectory _temp = TempDirectory.Create("atomic");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void CreatesTheFileWithExactlyTheModeAskedFor()
    {
        var path = _temp.Combine("new");
        const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

        AtomicFile.Write(path, "hello"u8, Mode);

        Assert.Equal("hello", File.ReadAllText(path));
        // 0622 survives only if the umask (typically 022) is not applied.
        Assert.Equal(Mode, File.GetUnixFileMode(path));
        Assert.Equal(["new"], Entries());
    }

    [Fact]
    public void ReplacesTheOldContent()
    {
        var path = _temp.Combine("file");
        File.WriteAllText(path, "old content that is longer");

        AtomicFile.Write(path, "new"u8, UnixFileMode.UserRead);

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(path));
        Assert.Equal(["file"], Entries());
    }

    [Fact]
    public void AFailingWriterLeavesTheOldContentAndNoTemporaryFile()
    {
        var path = _temp.Combine("file");
        File.WriteAllText(path, "old");

        var error = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, UnixFileMode.UserRead | UnixFileMode.UserWrite, stream =>
        {
            stream.Write("half of the new"u8);
            throw new InvalidOperationException("the writer failed");
        }));

        Assert.Equal("the writer failed", error.Message);
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["file"], Entries());
    }

    [Fact]
    public void AFailedRenameLeavesTheDestinationAndNoTemporaryFile()
    {
        // A directory at the destination: the rename fails after the content was written.
        var path = _temp.CreateSubdirectory("taken");
        File.WriteAllText(Path.Combine(path, "inside"), "keep");

        var error = Assert.Throws<NativeCallException>(() => AtomicFile.Write(path, "x"u8, UnixFileMode.UserRead));

        Assert.Equal("renameat2", error.Syscall);
        Assert.Contains("EISDIR", error.Message, StringComparison.Ordinal);
        Assert.Equal("keep", File.ReadAllText(Path.Combine(path, "inside")));
        Assert.Equal(["taken"], Entries());
    }

    [Fact]
    public void AMissingDirectoryIsReportedWithItsErrno()
    {
        var error = Assert.Throws<NativeCallException>(() => AtomicFile.Write(_temp.Combine("missing", "file"), "x"u8, UnixFileMode.UserRead));

        Assert.Equal(Errno.ENOENT, error.Errno);
        Assert.Contains("(ENOENT)", error.Message, StringComparison.Ordinal);
    }

    private string[] Entries()
        => [.. Directory.GetFileSystemEntries(_temp.Path).Select(entry => Path.GetFileName(entry)!).Order(StringComparer.Ordinal)];
}
