namespace GuestPull.Bench.Snapshotter.Pull;

/// One timed CRI PullImage: wall seconds of the RPC, and what the registry served for it.
/// <param name="Contender">the snapshotter the pull unpacked into</param>
/// <param name="Run">the round, from 1</param>
/// <param name="Seconds">wall time of the PullImage call</param>
/// <param name="LayerBlobGets">layer blobs the registry served (0 is what the proxy driver is for)</param>
/// <param name="BlobGets">every blob the registry served (config included)</param>
/// <param name="Snapshots">committed snapshots left in guestpull's snapshotter (null for overlayfs)</param>
internal sealed record PullSample(PullContender Contender, int Run, double Seconds, int LayerBlobGets, int BlobGets, int? Snapshots);
