using System.Globalization;

namespace GuestPull.Snapshotter.Storage;

/// <summary>Where things live under the snapshotter's root: the database and `snapshots/&lt;id&gt;/{fs,work}`.</summary>
internal sealed class SnapshotLayout
{
    public SnapshotLayout(string root)
    {
        Root = Path.GetFullPath(root);
        SnapshotsDirectory = Path.Combine(Root, "snapshots");
        DatabasePath = Path.Combine(Root, "metadata.db");
    }

    public string Root { get; }

    public string SnapshotsDirectory { get; }

    public string DatabasePath { get; }

    public string SnapshotDirectory(long id) => Path.Combine(SnapshotsDirectory, id.ToString(CultureInfo.InvariantCulture));

    /// <summary>The snapshot's own layer: overlay's upperdir, or the bind source of a base snapshot.</summary>
    public string FsDirectory(long id) => Path.Combine(SnapshotDirectory(id), "fs");

    public string WorkDirectory(long id) => Path.Combine(SnapshotDirectory(id), "work");
}
