using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GuestPull.Agent.Tests.Support;
using GuestPull.Api.Agent.V1;
using GuestPull.Linux;
using GuestPull.Testing.Traits;
using GuestPull.Ttrpc;

namespace GuestPull.Agent.Tests;

/// CopyFile over ttrpc, as the shim of a VM sandbox uses it: files and directories land below the
/// copy root with their mode and owner, whole or not at all, and nothing is written anywhere else.
[Trait(Requires.Trait, Requires.Root)]
public sealed class CopyFileTests(CopyFileAgent agent) : IClassFixture<CopyFileAgent>
{
    private const UnixFileMode Mode0644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Mode0755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private const UnixFileMode Mode0750 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    [Fact]
    public async Task SmallFile_RoundTrips_WithItsMode_AndReplacesAnOlderCopy()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var path = agent.Below("sandbox-1", "etc", "hosts");

        await agent.Typed.CopyFileAsync(path, Encoding.UTF8.GetBytes("127.0.0.1 localhost\n"), Mode0644, timeout.Token);

        Assert.Equal("127.0.0.1 localhost\n", await File.ReadAllTextAsync(path, timeout.Token));
        Assert.Equal(Mode0644, File.GetUnixFileMode(path));
        Assert.True(FileSystemCalls.TryStat(path, out var status));
        Assert.Equal((0u, 0u), (status.Uid, status.Gid));
        Assert.Equal(Mode0755, File.GetUnixFileMode(agent.Below("sandbox-1", "etc")));
        Assert.Equal(Mode0755, File.GetUnixFileMode(agent.Below("sandbox-1")));

        await agent.Typed.CopyFileAsync(path, Encoding.UTF8.GetBytes("10.0.0.1 pod\n"), UnixFileMode.UserRead | UnixFileMode.UserWrite, timeout.Token);
        Assert.Equal("10.0.0.1 pod\n", await File.ReadAllTextAsync(path, timeout.Token));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(["hosts"], Directory.GetFileSystemEntries(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task EmptyFile_IsCreated()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var path = agent.Below("sandbox-1", "empty");
        await agent.Typed.CopyFileAsync(path, ReadOnlyMemory<byte>.Empty, Mode0644, timeout.Token);
        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Fact]
    public async Task ThreeMiBFile_TravelsInChunks_AndKeepsSetuidAfterTheOwnerIsSet()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var content = new byte[3 * 1024 * 1024];
        new Random(42).NextBytes(content);
        var path = agent.Below("sandbox-2", "bin", "tool");
        const UnixFileMode Setuid0755 = Mode0755 | UnixFileMode.SetUser;

        await agent.Typed.CopyFileAsync(path, content, Setuid0755, timeout.Token);

        Assert.Equal(content, await File.ReadAllBytesAsync(path, timeout.Token));
        Assert.Equal(Setuid0755, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task UnfinishedFile_IsNotVisible_UntilItsLastChunk()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var path = agent.Below("sandbox-3", "config");
        await CopyChunkAsync(path, fileSize: 10, offset: 0, "hello", timeout.Token);
        Assert.False(File.Exists(path), "half a file is never at the destination");

        await CopyChunkAsync(path, fileSize: 10, offset: 5, "world", timeout.Token);
        Assert.Equal("helloworld", await File.ReadAllTextAsync(path, timeout.Token));
        Assert.Equal(["config"], Directory.GetFileSystemEntries(agent.Below("sandbox-3")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Directory_IsCreated_WithItsMode()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var path = agent.Below("sandbox-4", "volumes", "config-map");

        await agent.Typed.CreateDirectoryAsync(path, Mode0750, timeout.Token);
        Assert.True(Directory.Exists(path));
        Assert.Equal(Mode0750, File.GetUnixFileMode(path));
        Assert.Equal(Mode0755, File.GetUnixFileMode(agent.Below("sandbox-4", "volumes")));

        // Again, with another mode: the directory stays, with the new mode, and files go into it.
        await agent.Typed.CreateDirectoryAsync(path, Mode0755, timeout.Token);
        Assert.Equal(Mode0755, File.GetUnixFileMode(path));
        await agent.Typed.CopyFileAsync(Path.Combine(path, "key"), Encoding.UTF8.GetBytes("value"), Mode0644, timeout.Token);
        Assert.Equal("value", await File.ReadAllTextAsync(Path.Combine(path, "key"), timeout.Token));
    }

    [Fact]
    public async Task Directory_OverAnExistingFile_IsRefused()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var path = agent.Below("sandbox-5", "file");
        await agent.Typed.CopyFileAsync(path, Encoding.UTF8.GetBytes("x"), Mode0644, timeout.Token);
        var error = await Assert.ThrowsAsync<TtrpcException>(() => agent.Typed.CreateDirectoryAsync(path, Mode0755, timeout.Token));
        Assert.Equal(TtrpcStatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("exists and is not a directory", error.StatusMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{root}/../escaped", "contains \"..\"")]
    [InlineData("{root}/sandbox/../../escaped", "contains \"..\"")]
    [InlineData("{outside}/escaped", "is not below the copy root")]
    [InlineData("{root}-sibling/escaped", "is not below the copy root")]
    [InlineData("{root}", "is not below the copy root")]
    [InlineData("relative/escaped", "is not absolute")]
    [InlineData("{root}//escaped", "is not normalised")]
    [InlineData("{root}/./escaped", "is not normalised")]
    [InlineData("{root}/escaped/", "is not normalised")]
    public async Task PathOutsideTheRootOrNotNormalised_IsRefused_AndNothingIsWritten(string template, string problem)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var path = template.Replace("{root}", agent.CopyRoot, StringComparison.Ordinal).Replace("{outside}", agent.Outside, StringComparison.Ordinal);

        var error = await Assert.ThrowsAsync<TtrpcException>(() => agent.Typed.CopyFileAsync(path, Encoding.UTF8.GetBytes("x"), Mode0644, timeout.Token));
        Assert.Equal(TtrpcStatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains($"path \"{path}\"", error.StatusMessage, StringComparison.Ordinal);
        Assert.Contains(problem, error.StatusMessage, StringComparison.Ordinal);

        var directory = await Assert.ThrowsAsync<TtrpcException>(() => agent.Typed.CreateDirectoryAsync(path, Mode0755, timeout.Token));
        Assert.Equal(TtrpcStatusCode.InvalidArgument, directory.StatusCode);

        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(agent.CopyRoot)!, "escaped")));
        Assert.False(File.Exists(agent.CopyRoot + "-sibling/escaped"));
        Assert.Empty(Directory.GetFileSystemEntries(agent.Outside));
    }

    [Fact]
    public async Task OverlongPath_IsRefused_AndShownCutShort()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var path = agent.Below([.. Enumerable.Repeat("deep", 2000)]);
        var error = await Assert.ThrowsAsync<TtrpcException>(() => agent.Typed.CopyFileAsync(path, Encoding.UTF8.GetBytes("x"), Mode0644, timeout.Token));
        Assert.Equal(TtrpcStatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("is longer than 4095 bytes", error.StatusMessage, StringComparison.Ordinal);
        Assert.True(error.StatusMessage.Length < 400, "the message quotes only the start of the path");
        Assert.False(Directory.Exists(agent.Below("deep")));
    }

    [Fact]
    public async Task SymlinkBelowTheRoot_PointingOut_IsRefused_AndNothingIsWrittenOutside()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var sandbox = Directory.CreateDirectory(agent.Below("sandbox-evil")).FullName;
        File.CreateSymbolicLink(Path.Combine(sandbox, "linked-dir"), agent.Outside);
        File.CreateSymbolicLink(Path.Combine(sandbox, "linked-file"), Path.Combine(agent.Outside, "target"));
        var attempts = new (string Path, Func<string, Task> Copy)[]
        {
            (Path.Combine(sandbox, "linked-dir", "escaped"), p => agent.Typed.CopyFileAsync(p, Encoding.UTF8.GetBytes("x"), Mode0644, timeout.Token)),
            (Path.Combine(sandbox, "linked-dir", "deeper", "escaped"), p => agent.Typed.CopyFileAsync(p, Encoding.UTF8.GetBytes("x"), Mode0644, timeout.Token)),
            (Path.Combine(sandbox, "linked-dir", "escaped-dir"), p => agent.Typed.CreateDirectoryAsync(p, Mode0755, timeout.Token)),
            (Path.Combine(sandbox, "linked-file"), p => agent.Typed.CopyFileAsync(p, Encoding.UTF8.GetBytes("x"), Mode0644, timeout.Token)),
            (Path.Combine(sandbox, "linked-file"), p => agent.Typed.CreateDirectoryAsync(p, Mode0755, timeout.Token)),
        };

        foreach (var (path, copy) in attempts)
        {
            var error = await Assert.ThrowsAsync<TtrpcException>(() => copy(path));
            Assert.Equal(TtrpcStatusCode.InvalidArgument, error.StatusCode);
            Assert.Contains($"path \"{path}\"", error.StatusMessage, StringComparison.Ordinal);
            Assert.Contains("symbolic link", error.StatusMessage, StringComparison.Ordinal);
        }

        Assert.Empty(Directory.GetFileSystemEntries(agent.Outside));
        Assert.Equal(["linked-dir", "linked-file"], Directory.GetFileSystemEntries(sandbox).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task OutOfOrderChunk_IsRefused_AndAbandonsTheCopy()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var path = agent.Below("sandbox-6", "data");
        await CopyChunkAsync(path, fileSize: 12, offset: 0, "abcd", timeout.Token);

        var skipped = await Assert.ThrowsAsync<TtrpcException>(() => CopyChunkAsync(path, fileSize: 12, offset: 8, "ijkl", timeout.Token));
        Assert.Equal(TtrpcStatusCode.InvalidArgument, skipped.StatusCode);
        Assert.Contains($"path \"{path}\"", skipped.StatusMessage, StringComparison.Ordinal);
        Assert.Contains("chunk at offset 8 but 4 bytes were received so far", skipped.StatusMessage, StringComparison.Ordinal);

        // The refused chunk dropped the copy: no temporary file, no destination, and the chunk that
        // would have been next is now refused too, since the file must start again at offset 0.
        Assert.Empty(Directory.GetFileSystemEntries(agent.Below("sandbox-6")));
        var late = await Assert.ThrowsAsync<TtrpcException>(() => CopyChunkAsync(path, fileSize: 12, offset: 4, "efgh", timeout.Token));
        Assert.Contains("no copy of it is in progress", late.StatusMessage, StringComparison.Ordinal);
        Assert.False(File.Exists(path));

        await CopyChunkAsync(path, fileSize: 12, offset: 0, "abcd", timeout.Token);
        await CopyChunkAsync(path, fileSize: 12, offset: 4, "efgh", timeout.Token);
        await CopyChunkAsync(path, fileSize: 12, offset: 8, "ijkl", timeout.Token);
        Assert.Equal("abcdefghijkl", await File.ReadAllTextAsync(path, timeout.Token));
        Assert.Equal(["data"], Directory.GetFileSystemEntries(agent.Below("sandbox-6")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task FirstChunkAgain_RestartsTheFile()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var path = agent.Below("sandbox-7", "data");
        await CopyChunkAsync(path, fileSize: 6, offset: 0, "old", timeout.Token);
        await CopyChunkAsync(path, fileSize: 6, offset: 0, "new", timeout.Token);
        await CopyChunkAsync(path, fileSize: 6, offset: 3, "er!", timeout.Token);
        Assert.Equal("newer!", await File.ReadAllTextAsync(path, timeout.Token));
        Assert.Equal(["data"], Directory.GetFileSystemEntries(agent.Below("sandbox-7")).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData(64L * 1024 * 1024 + 1, 0, "", "file_size 67108865, outside 0 to 67108864 bytes")]
    [InlineData(-1L, 0, "", "file_size -1")]
    [InlineData(4L, 5, "", "offset 5, beyond file_size 4")]
    [InlineData(4L, -1, "", "offset -1, beyond file_size 4")]
    [InlineData(4L, 0, "hello", "5 bytes of data at offset 0, past file_size 4")]
    public async Task SizesAndOffsetsOutOfRange_AreRefused(long fileSize, long offset, string data, string problem)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var path = agent.Below("sandbox-8", "file");
        var error = await Assert.ThrowsAsync<TtrpcException>(() => CopyChunkAsync(path, fileSize, offset, data, timeout.Token));
        Assert.Equal(TtrpcStatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains($"path \"{path}\"", error.StatusMessage, StringComparison.Ordinal);
        Assert.Contains(problem, error.StatusMessage, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData(0xA1FFu, "only regular files and directories")] // S_IFLNK | 0777
    [InlineData(0x61B6u, "only regular files and directories")] // S_IFBLK | 0666
    [InlineData(0x801A4u, "is not a file mode")]
    public async Task OtherFileTypes_AreRefused(uint fileMode, string problem)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var path = agent.Below("sandbox-9", "node");
        var request = new CopyFileRequest { Path = path, FileSize = 1, FileMode = fileMode, DirMode = 0x1ED, Data = ByteString.CopyFromUtf8("x") };
        var error = await Assert.ThrowsAsync<TtrpcException>(() => agent.Client.CallAsync<CopyFileRequest, Empty>("CopyFile", request, timeout.Token));
        Assert.Equal(TtrpcStatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(problem, error.StatusMessage, StringComparison.Ordinal);
        Assert.False(Path.Exists(path));
    }

    private Task<Empty> CopyChunkAsync(string path, long fileSize, long offset, string data, CancellationToken cancellationToken) =>
        agent.Client.CallAsync<CopyFileRequest, Empty>("CopyFile", new CopyFileRequest
        {
            Path = path,
            FileSize = fileSize,
            FileMode = 0x81A4, // S_IFREG | 0644, as Kata's runtime sends a file's st_mode
            DirMode = 0x1ED,
            Offset = offset,
            Data = ByteString.CopyFromUtf8(data),
        }, cancellationToken);
}
