using GuestPull.Testing;

namespace GuestPull.Unpack.Tests.Helpers;

/// <summary>
/// A temporary directory holding <c>root/</c> (where layers go) next to <c>outside/</c>, a
/// sentinel tree that no layer may touch: <see cref="AssertOutsideUntouched"/> compares it with
/// its snapshot from creation time, and checks nothing appeared next to the root.
/// </summary>
internal sealed class TestRoot : IAsyncDisposable
{
    private readonly TreeSnapshot _outsideBefore;
    private readonly string[] _baseEntriesBefore;
    private readonly List<string> _mounts = [];

    public TestRoot()
    {
        Base = Path.Combine(Path.GetTempPath(), "guestpull-unpack-" + Guid.NewGuid().ToString("N"));
        Root = Path.Combine(Base, "root");
        Outside = Path.Combine(Base, "outside");
        System.IO.Directory.CreateDirectory(Root);
        System.IO.Directory.CreateDirectory(Path.Combine(Outside, "dir"));
        System.IO.File.WriteAllText(Path.Combine(Outside, "sentinel"), "do not touch");
        System.IO.File.WriteAllText(Path.Combine(Outside, "dir", "file"), "nor this");
        System.IO.File.CreateSymbolicLink(Path.Combine(Outside, "link"), "sentinel");
        _outsideBefore = TreeSnapshot.Take(Outside);
        _baseEntriesBefore = Entries(Base);
    }

    public string Base { get; }

    public string Root { get; }

    public string Outside { get; }

    public string InRoot(string relative) => Path.Combine(Root, relative);

    public void AssertOutsideUntouched()
    {
        TreeSnapshot.AssertEqual(_outsideBefore, TreeSnapshot.Take(Outside), "outside");
        Assert.Equal(_baseEntriesBefore, Entries(Base));
    }

    /// <summary>Mounts a file system of <paramref name="type"/> (tmpfs, ramfs) on a new directory in the base.</summary>
    public async Task<string> MountAsync(string type, string name)
    {
        var path = Path.Combine(Base, name);
        System.IO.Directory.CreateDirectory(path);
        await Run.CheckedAsync("mount", "-t", type, type, path);
        _mounts.Add(path);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var mount in _mounts)
        {
            await Run.UncheckedAsync("umount", "-l", mount);
        }

        try
        {
            System.IO.Directory.Delete(Base, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a failed test may leave a busy mount behind.
        }
    }

    private static string[] Entries(string directory)
        => System.IO.Directory.GetFileSystemEntries(directory).Order(StringComparer.Ordinal).ToArray();
}
