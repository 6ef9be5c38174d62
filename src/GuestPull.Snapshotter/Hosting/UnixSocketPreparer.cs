using System.Net.Sockets;
using GuestPull.Linux;
using GuestPull.Snapshotter.Storage;

namespace GuestPull.Snapshotter.Hosting;

/// <summary>Makes the socket path bindable: its directory exists, and a stale socket left by a dead instance is removed.</summary>
internal static class UnixSocketPreparer
{
    public static async Task PrepareAsync(string address, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(address)!;
        if (!Directory.Exists(directory))
        {
            UnixModes.CreateDirectory(directory, (UnixFileMode)0b111_101_101);
        }
        using (var parent = FileSystemCalls.Open(directory, OpenFlags.Directory | OpenFlags.Path))
        {
            if (!FileSystemCalls.TryStatAt(parent, Path.GetFileName(address), out var status))
            {
                return;
            }
            if (status.Type != FileType.Socket)
            {
                throw new SnapshotterConfigurationException($"address {address} exists and is not a unix socket ({status.Type})");
            }
        }
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await probe.ConnectAsync(new UnixDomainSocketEndPoint(address), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            File.Delete(address);
            return;
        }
        throw new SnapshotterConfigurationException($"address {address} is in use: another snapshotter is serving it");
    }
}
