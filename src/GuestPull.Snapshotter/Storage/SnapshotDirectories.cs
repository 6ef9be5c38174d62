using GuestPull.Linux;
namespace GuestPull.Snapshotter.Storage;

/// <summary>
/// The snapshots' directories under <c>snapshots/</c>: one per row id, with <c>fs</c> and <c>work</c> in it,
/// and the sweep of the entries no row owns.
/// </summary>
internal sealed class SnapshotDirectories
{
    private const string TrashPrefix = ".trash-";

    private readonly SnapshotLayout _layout;

    public SnapshotDirectories(SnapshotLayout layout)
    {
        _layout = layout;
    }

    /// <summary>Creates the directories of snapshot <paramref name="id"/>, replacing whatever a rolled-back use of the id left.</summary>
    public void Create(long id)
    {
        var directory = _layout.SnapshotDirectory(id);
        // Left by a transaction that never committed (the id was rolled back and is ours now).
        Delete(directory);
        UnixModes.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var fs = _layout.FsDirectory(id);
        Directory.CreateDirectory(fs);
        UnixModes.Set(fs, (UnixFileMode)0b111_101_101);
        var work = _layout.WorkDirectory(id);
        Directory.CreateDirectory(work);
        UnixModes.Set(work, (UnixFileMode)0b111_001_001);
    }

    /// <summary>Deletes the directories of snapshot <paramref name="id"/>, if any.</summary>
    public void Delete(long id) => Delete(_layout.SnapshotDirectory(id));

    /// <summary>
    /// Moves every entry of <c>snapshots/</c> whose name is not in <paramref name="owned"/> out of the way (or finds it
    /// already there, from an earlier sweep) and returns the paths to delete with <see cref="Delete(string)"/>.
    /// </summary>
    public List<string> MoveOrphansToTrash(IReadOnlySet<string> owned)
    {
        var trash = new List<string>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(_layout.SnapshotsDirectory))
        {
            var name = Path.GetFileName(entry);
            if (owned.Contains(name))
            {
                continue;
            }
            if (name.StartsWith(TrashPrefix, StringComparison.Ordinal))
            {
                trash.Add(entry);
                continue;
            }
            // Renamed while the caller holds the write gate: a rolled-back id may be handed out again at once,
            // and its new directory must not be deleted by this sweep.
            var target = Path.Combine(_layout.SnapshotsDirectory, TrashPrefix + Guid.NewGuid().ToString("N"));
            Directory.Move(entry, target);
            trash.Add(target);
        }
        return trash;
    }

    /// <summary>
    /// Deletes a directory tree, or a stray file in snapshots/ (never created by us, but repair must
    /// not trip over it); nothing when it is already gone.
    /// </summary>
    public static void Delete(string path) => TreeRemover.Delete(path);
}
