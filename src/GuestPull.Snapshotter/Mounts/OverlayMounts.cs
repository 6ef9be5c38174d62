using GuestPull.Snapshotter.Storage;

namespace GuestPull.Snapshotter.Mounts;

/// <summary>
/// The mounts containerd's own overlayfs snapshotter returns: a bind mount when there is a single
/// directory to show, otherwise one overlay with the parents' `fs` dirs as lowerdirs (nearest first),
/// plus upperdir and workdir for an active snapshot.
/// </summary>
internal sealed class OverlayMounts(SnapshotLayout layout, bool indexOff)
{
    /// <summary>Whether the kernel knows overlay's `index` option, so `index=off` can be passed as containerd does.</summary>
    public static bool KernelSupportsIndexOption() => File.Exists("/sys/module/overlay/parameters/index");

    /// <param name="chain">The snapshot followed by its ancestors, nearest first.</param>
    public IReadOnlyList<MountSpec> For(IReadOnlyList<SnapshotRecord> chain)
    {
        var snapshot = chain[0];
        var parents = chain.Count - 1;
        if (parents == 0)
        {
            var mode = snapshot.Kind == SnapshotKind.View ? "ro" : "rw";
            return [new MountSpec("bind", layout.FsDirectory(snapshot.Id), [mode, "rbind"])];
        }
        if (snapshot.Kind != SnapshotKind.Active && parents == 1)
        {
            return [new MountSpec("bind", layout.FsDirectory(chain[1].Id), ["ro", "rbind"])];
        }
        var options = new List<string>();
        if (indexOff)
        {
            options.Add("index=off");
        }
        if (snapshot.Kind == SnapshotKind.Active)
        {
            options.Add("workdir=" + layout.WorkDirectory(snapshot.Id));
            options.Add("upperdir=" + layout.FsDirectory(snapshot.Id));
        }
        options.Add(LowerDirOption(chain));
        return [new MountSpec("overlay", "overlay", options)];
    }

    /// <summary>`lowerdir=` with every ancestor's fs dir, nearest first.</summary>
    public string LowerDirOption(IReadOnlyList<SnapshotRecord> chain) =>
        "lowerdir=" + string.Join(':', chain.Skip(1).Select(parent => layout.FsDirectory(parent.Id)));
}
