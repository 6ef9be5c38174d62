using GuestPull.Linux;

namespace GuestPull.Images.Tests.Fixtures;

/// Builds a layer directory by hand, in the overlay form the unpacker produces.
internal sealed class LayerDirectory(string root)
{
    private static readonly UnixTimestamp FixedTime = new(1_600_000_000, 0);

    public string Root { get; } = root;

    public LayerDirectory Dir(string path, uint mode = 0x1ED /* 0755 */, uint uid = 0, uint gid = 0)
    {
        Directory.CreateDirectory(Full(path));
        Apply(path, mode, uid, gid);
        return this;
    }

    public LayerDirectory File(string path, string content, uint mode = 0x1A4 /* 0644 */, uint uid = 0, uint gid = 0)
    {
        EnsureParent(path);
        System.IO.File.WriteAllText(Full(path), content);
        Apply(path, mode, uid, gid);
        return this;
    }

    public LayerDirectory Symlink(string path, string target, uint uid = 0, uint gid = 0)
    {
        EnsureParent(path);
        System.IO.File.CreateSymbolicLink(Full(path), target);
        using var parent = OpenParent(path);
        FileSystemCalls.ChangeOwnerAt(parent, Path.GetFileName(path), uid, gid);
        FileSystemCalls.SetTimesAt(parent, Path.GetFileName(path), FixedTime, FixedTime);
        return this;
    }

    public LayerDirectory Hardlink(string path, string existing)
    {
        EnsureParent(path);
        using var from = OpenParent(existing);
        using var to = OpenParent(path);
        FileSystemCalls.LinkAt(from, Path.GetFileName(existing), to, Path.GetFileName(path));
        return this;
    }

    public LayerDirectory Node(string path, FileType type, uint major, uint minor, uint mode = 0x1B6 /* 0666 */)
    {
        EnsureParent(path);
        using var parent = OpenParent(path);
        FileSystemCalls.MakeNodeAt(parent, Path.GetFileName(path), type, mode, FileSystemCalls.MakeDevice(major, minor));
        Apply(path, mode, 0, 0);
        return this;
    }

    /// An overlay whiteout: a 0:0 character device.
    public LayerDirectory Whiteout(string path) => Node(path, FileType.CharacterDevice, 0, 0, 0);

    public LayerDirectory Opaque(string path)
    {
        ExtendedAttributes.Set(Full(path), "trusted.overlay.opaque", "y"u8);
        return this;
    }

    public LayerDirectory Xattr(string path, string name, byte[] value)
    {
        ExtendedAttributes.Set(Full(path), name, value);
        return this;
    }

    public string Full(string path) => Path.Combine(Root, path.TrimStart('/'));

    private void EnsureParent(string path) => Directory.CreateDirectory(Path.GetDirectoryName(Full(path))!);

    private SafeFileDescriptor OpenParent(string path) => FileSystemCalls.Open(Path.GetDirectoryName(Full(path))!, OpenFlags.Path | OpenFlags.Directory);

    private void Apply(string path, uint mode, uint uid, uint gid)
    {
        using var parent = OpenParent(path);
        var name = Path.GetFileName(path);
        FileSystemCalls.ChangeOwnerAt(parent, name, uid, gid);
        FileSystemCalls.ChangeModeAt(parent, name, mode);
        FileSystemCalls.SetTimesAt(parent, name, FixedTime, FixedTime);
    }

    public override string ToString() => Root;
}
