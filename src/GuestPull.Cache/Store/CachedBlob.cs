using Microsoft.Win32.SafeHandles;

namespace GuestPull.Cache.Store;

/// <summary>An open cache entry: the file (read with positional reads) and its size.</summary>
/// <param name="File">The open file; the caller disposes it.</param>
/// <param name="Size">Its size in bytes.</param>
internal sealed record CachedBlob(SafeFileHandle File, long Size) : IDisposable
{
    public void Dispose() => File.Dispose();
}
