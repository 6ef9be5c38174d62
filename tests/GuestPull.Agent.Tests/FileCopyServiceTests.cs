using Google.Protobuf;
using GuestPull.Agent.Files;
using GuestPull.Api.Agent.V1;
using GuestPull.Linux;
using GuestPull.Testing;
using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestPull.Agent.Tests;

/// The copier without ttrpc, as an ordinary user (files owned by whoever runs the test): what
/// happens to the temporary file of a copy whose sender never finishes it.
public sealed class FileCopyServiceTests : IDisposable
{
    private readonly TempDirectory _directory = TempDirectory.Create("file-copy");
    private readonly ManualClock _clock = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly uint _uid;
    private readonly uint _gid;

    public FileCopyServiceTests()
    {
        // The owner a test may give its files without privileges: its own.
        using var directory = FileSystemCalls.Open(_directory.Path, OpenFlags.ReadOnly | OpenFlags.Directory);
        var status = FileSystemCalls.Stat(directory);
        (_uid, _gid) = (status.Uid, status.Gid);
    }

    private string Root => _directory.Combine("root");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task AbandonedCopy_LeavesOnlyAHiddenTemporary_ThatDisposeRemoves()
    {
        var copier = new FileCopyService(Root, NullLogger.Instance, _clock);
        await copier.CopyAsync(Chunk(Path.Combine(Root, "pod", "file"), fileSize: 8, offset: 0, "half"), CancellationToken.None);

        var entries = Directory.GetFileSystemEntries(Path.Combine(Root, "pod")).Select(Path.GetFileName).ToList();
        var temporary = Assert.Single(entries);
        Assert.StartsWith(".", temporary, StringComparison.Ordinal);
        Assert.NotEqual("file", temporary);

        copier.Dispose();
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(Root, "pod")));
    }

    [Fact]
    public async Task AbandonedCopy_IsSwept_WhenAnotherStartsTenMinutesLater()
    {
        using var copier = new FileCopyService(Root, NullLogger.Instance, _clock);
        await copier.CopyAsync(Chunk(Path.Combine(Root, "pod", "stale"), fileSize: 8, offset: 0, "half"), CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(11));

        await copier.CopyAsync(Chunk(Path.Combine(Root, "pod", "fresh"), fileSize: 2, offset: 0, "ok"), CancellationToken.None);

        Assert.Equal(["fresh"], Directory.GetFileSystemEntries(Path.Combine(Root, "pod")).Select(Path.GetFileName));
        var late = await Assert.ThrowsAsync<TtrpcException>(() => copier.CopyAsync(Chunk(Path.Combine(Root, "pod", "stale"), fileSize: 8, offset: 4, "rest"), CancellationToken.None));
        Assert.Contains("no copy of it is in progress", late.StatusMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheCopyRoot_IsCreatedOnFirstUse()
    {
        using var copier = new FileCopyService(Root, NullLogger.Instance, _clock);
        Assert.False(Directory.Exists(Root));
        await copier.CopyAsync(Chunk(Path.Combine(Root, "file"), fileSize: 2, offset: 0, "ok"), CancellationToken.None);
        Assert.Equal("ok", await File.ReadAllTextAsync(Path.Combine(Root, "file")));
    }

    private CopyFileRequest Chunk(string path, long fileSize, long offset, string data) => new()
    {
        Path = path,
        FileSize = fileSize,
        FileMode = 0x81A4,
        DirMode = 0x1ED,
        Uid = (int)_uid,
        Gid = (int)_gid,
        Offset = offset,
        Data = ByteString.CopyFromUtf8(data),
    };

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
