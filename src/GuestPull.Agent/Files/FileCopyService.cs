using System.Globalization;
using System.Security.Cryptography;
using GuestPull.Api.Agent.V1;
using GuestPull.Linux;
using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging;

namespace GuestPull.Agent.Files;

/// <summary>
/// Serves CopyFile: the host, sharing no file system with the guest, sends the files a container
/// mounts (hosts, resolv.conf, config maps, secrets) in ordered chunks. Each file grows in a
/// temporary file next to its destination and is renamed over it once complete, so a reader sees
/// the old file or the whole new one, never a part. Everything is written strictly below the copy
/// root, walked without following symlinks.
/// </summary>
internal sealed partial class FileCopyService : IDisposable
{
    /// <summary>The largest file accepted: config maps and secrets are limited to 1 MiB by Kubernetes; this leaves room without letting one request fill the guest's memory-backed /run.</summary>
    public const long MaxFileSize = 64L * 1024 * 1024;

    private const uint FileTypeMask = 0xF000; // S_IFMT
    private const uint DirectoryType = 0x4000; // S_IFDIR
    private const uint RegularFileType = 0x8000; // S_IFREG
    private const uint PermissionMask = 0xFFF; // 07777
    private const uint ModeMask = 0xFFFF; // what st_mode can hold
    private const uint TemporaryFileMode = 0x180; // 0600 until the copy is complete
    private const uint NewDirectoryMode = 0x1C0; // 0700 until its owner and mode are set
    private const int MaxPendingCopies = 32;
    private const OpenFlags DirectoryNoFollow = OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow;

    // A sender that dies mid-file never sends the rest; its temporary file is swept when another copy starts.
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(10);

    private readonly string _root;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    // One copy at a time: chunks are small and the files few, and one lock keeps the pending table,
    // the temporary files and the renames trivially consistent.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, PendingCopy> _pending = new(StringComparer.Ordinal);
    private bool _disposed;

    public FileCopyService(string copyRoot, ILogger logger, TimeProvider? time = null)
    {
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(copyRoot));
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The copy root every destination must be below.</summary>
    public string Root => _root;

    /// <summary>Handles one CopyFile request: a directory, or one chunk of a file.</summary>
    /// <exception cref="TtrpcException">InvalidArgument naming the path and the problem; ResourceExhausted when the guest is out of space or too many copies are unfinished.</exception>
    public async Task CopyAsync(CopyFileRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var target = CopyTarget.Parse(request.Path, _root);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if ((request.FileMode & FileTypeMask) == DirectoryType)
            {
                CreateDirectory(request, target);
            }
            else
            {
                WriteChunk(request, target);
            }
        }
        catch (NativeCallException ex)
        {
            var code = ex.Errno == Errno.ENOSPC ? TtrpcStatusCode.ResourceExhausted : TtrpcStatusCode.Internal;
            throw new TtrpcException(code, $"CopyFile: path \"{target.Path}\": {ex.Message}", details: null, innerException: ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes the temporary files of copies that never finished.</summary>
    public void Dispose()
    {
        _gate.Wait();
        try
        {
            foreach (var pending in _pending.Values)
            {
                pending.Abandon();
            }

            _pending.Clear();
            _disposed = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static string Octal(uint mode) => "0" + Convert.ToString(mode, 8);

    private static string TemporaryName() => $".guestpull-copy-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.tmp";

    private static void RequireOwner(CopyFileRequest request, CopyTarget target)
    {
        if (request.Uid < 0 || request.Gid < 0)
        {
            throw target.Refuse($"has a negative owner (uid {request.Uid}, gid {request.Gid})");
        }

        if (request.FileMode > ModeMask)
        {
            throw target.Refuse($"has file_mode {Octal(request.FileMode)}, which is not a file mode (at most {Octal(ModeMask)})");
        }
    }

    private static void RequireValidChunk(CopyFileRequest request, CopyTarget target)
    {
        RequireOwner(request, target);
        if ((request.FileMode & FileTypeMask) is not (0 or RegularFileType))
        {
            throw target.Refuse($"has file_mode {Octal(request.FileMode)}: only regular files and directories can be copied");
        }

        if (request.FileSize is < 0 or > MaxFileSize)
        {
            throw target.Refuse($"has file_size {request.FileSize.ToString(CultureInfo.InvariantCulture)}, outside 0 to {MaxFileSize.ToString(CultureInfo.InvariantCulture)} bytes (64 MiB)");
        }

        if (request.Offset < 0 || request.Offset > request.FileSize)
        {
            throw target.Refuse($"has offset {request.Offset.ToString(CultureInfo.InvariantCulture)}, beyond file_size {request.FileSize.ToString(CultureInfo.InvariantCulture)}");
        }

        if (request.Offset + request.Data.Length > request.FileSize)
        {
            throw target.Refuse(
                $"has {request.Data.Length.ToString(CultureInfo.InvariantCulture)} bytes of data at offset {request.Offset.ToString(CultureInfo.InvariantCulture)}, past file_size {request.FileSize.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    private void WriteChunk(CopyFileRequest request, CopyTarget target)
    {
        // The copy is out of the table while this chunk is handled: any failure abandons it (the
        // sender must start over at offset 0), and only a chunk that succeeds puts it back.
        _pending.Remove(target.Path, out var pending);
        try
        {
            RequireValidChunk(request, target);
            if (request.Offset == 0)
            {
                // A first chunk again: the sender restarted this file; the old attempt is dropped.
                pending?.Abandon();
                pending = null;
                pending = Start(request, target);
            }
            else
            {
                RequireContinuation(request, target, pending);
            }

            FileSystemCalls.WriteAll(pending!.File, request.Data.Span);
            if (request.Offset + request.Data.Length < pending.FileSize)
            {
                pending.LastChunk = _time.GetUtcNow();
                _pending.Add(target.Path, pending);
                pending = null;
                return;
            }

            Commit(request, target, pending);
            pending.Dispose();
            pending = null;
            LogCopied(_logger, target.Path, request.FileSize, Octal(request.FileMode & PermissionMask), request.Uid, request.Gid);
        }
        finally
        {
            pending?.Abandon();
        }
    }

    private static void RequireContinuation(CopyFileRequest request, CopyTarget target, PendingCopy? pending)
    {
        var offset = request.Offset.ToString(CultureInfo.InvariantCulture);
        if (pending is null)
        {
            throw target.Refuse($"has offset {offset} but no copy of it is in progress: a file's first chunk has offset 0");
        }

        if (pending.FileSize != request.FileSize)
        {
            throw target.Refuse(
                $"changed file_size from {pending.FileSize.ToString(CultureInfo.InvariantCulture)} to {request.FileSize.ToString(CultureInfo.InvariantCulture)} in the middle of a copy");
        }

        var length = FileSystemCalls.Stat(pending.File).Size;
        if (length != request.Offset)
        {
            throw target.Refuse(
                $"has a chunk at offset {offset} but {length.ToString(CultureInfo.InvariantCulture)} bytes were received so far: chunks must arrive in order (the copy is abandoned; start again at offset 0)");
        }
    }

    private PendingCopy Start(CopyFileRequest request, CopyTarget target)
    {
        SweepAbandoned();
        if (_pending.Count >= MaxPendingCopies)
        {
            throw new TtrpcException(
                TtrpcStatusCode.ResourceExhausted,
                $"CopyFile: path \"{target.Path}\": {MaxPendingCopies} other copies are unfinished; finish them first");
        }

        var directory = CopyDirectoryWalker.OpenParent(_root, target, request.DirMode & PermissionMask);
        try
        {
            if (FileSystemCalls.TryStatAt(directory, target.Name, out var existing))
            {
                if (existing.IsSymbolicLink)
                {
                    throw target.Refuse($"has a symbolic link at {target.Path}");
                }

                if (existing.IsDirectory)
                {
                    throw target.Refuse("is an existing directory; a file cannot replace it");
                }
            }

            var name = TemporaryName();
            var file = FileSystemCalls.OpenAt(directory, name, OpenFlags.WriteOnly | OpenFlags.Create | OpenFlags.Exclusive | OpenFlags.NoFollow, TemporaryFileMode);
            return new PendingCopy(directory, file, name, request.FileSize, _time.GetUtcNow());
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    private static void Commit(CopyFileRequest request, CopyTarget target, PendingCopy pending)
    {
        // chown clears the set-user-ID and set-group-ID bits, so the mode is set after the owner.
        FileSystemCalls.ChangeOwner(pending.File, (uint)request.Uid, (uint)request.Gid);
        FileSystemCalls.ChangeMode(pending.File, request.FileMode & PermissionMask);
        FileSystemCalls.Sync(pending.File);
        try
        {
            FileSystemCalls.RenameAt(pending.Directory, pending.TemporaryName, pending.Directory, target.Name);
        }
        catch (NativeCallException ex) when (ex.Errno is Errno.EISDIR or Errno.ENOTEMPTY or Errno.EEXIST)
        {
            throw target.Refuse("is an existing directory; a file cannot replace it");
        }

        SyncDirectory(pending.Directory);
    }

    // The rename is durable once the directory is synced; a file system that cannot sync a
    // directory (EINVAL) has made the rename all the same.
    private static void SyncDirectory(SafeFileDescriptor directory)
    {
        try
        {
            FileSystemCalls.Sync(directory);
        }
        catch (NativeCallException ex) when (ex.Errno == Errno.EINVAL)
        {
        }
    }

    private void CreateDirectory(CopyFileRequest request, CopyTarget target)
    {
        RequireOwner(request, target);
        if (_pending.Remove(target.Path, out var stale))
        {
            stale.Abandon();
        }

        using var parent = CopyDirectoryWalker.OpenParent(_root, target, request.DirMode & PermissionMask);
        var made = FileSystemCalls.TryMakeDirectoryAt(parent, target.Name, NewDirectoryMode);
        if (made is not (0 or Errno.EEXIST))
        {
            throw new NativeCallException(made, "mkdirat", target.Path);
        }

        var errno = FileSystemCalls.TryOpenAt(parent, target.Name, DirectoryNoFollow, 0, out var directory);
        if (errno is Errno.ELOOP or Errno.ENOTDIR)
        {
            throw target.Refuse(CopyDirectoryWalker.SymlinkProblem(parent, target.Name, target.Path) ?? "exists and is not a directory");
        }

        if (errno != 0)
        {
            throw new NativeCallException(errno, "openat", target.Path);
        }

        using (directory)
        {
            FileSystemCalls.ChangeOwner(directory!, (uint)request.Uid, (uint)request.Gid);
            FileSystemCalls.ChangeMode(directory!, request.FileMode & PermissionMask);
        }

        LogDirectory(_logger, target.Path, Octal(request.FileMode & PermissionMask), request.Uid, request.Gid);
    }

    private void SweepAbandoned()
    {
        var cutoff = _time.GetUtcNow() - AbandonedAfter;
        foreach (var (path, pending) in _pending.Where(entry => entry.Value.LastChunk < cutoff).ToList())
        {
            _pending.Remove(path);
            pending.Abandon();
            LogSwept(_logger, path, (int)AbandonedAfter.TotalMinutes);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "copied {Path} ({Size} bytes, mode {Mode}, owner {Uid}:{Gid})")]
    private static partial void LogCopied(ILogger logger, string path, long size, string mode, int uid, int gid);

    [LoggerMessage(Level = LogLevel.Information, Message = "created directory {Path} (mode {Mode}, owner {Uid}:{Gid})")]
    private static partial void LogDirectory(ILogger logger, string path, string mode, int uid, int gid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "dropped the unfinished copy of {Path}: no chunk for {Minutes} minutes")]
    private static partial void LogSwept(ILogger logger, string path, int minutes);
}
