namespace GuestPull.Bench.Snapshotter.Rpc;

/// How much work the snapshots RPC part does.
/// <param name="Snapshots">snapshots taken through Prepare, Commit, Stat and Remove</param>
/// <param name="Clients">concurrent callers in those four phases (one gRPC connection, as containerd keeps)</param>
/// <param name="StatSnapshots">committed snapshots present while Stat latency is sampled</param>
/// <param name="StatSamples">sequential Stat calls sampled with <paramref name="StatSnapshots"/> present</param>
/// <param name="WarmupCycles">untimed Prepare/Commit/Stat/Remove cycles first (JIT, connection, SQLite caches)</param>
internal sealed record RpcSettings(int Snapshots, int Clients, int StatSnapshots, int StatSamples, int WarmupCycles);
