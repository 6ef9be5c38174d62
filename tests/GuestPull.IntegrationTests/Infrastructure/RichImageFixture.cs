using System.Text;
using GuestPull.Linux;
using GuestPull.Testing;

namespace GuestPull.IntegrationTests.Infrastructure;

/// <summary>
/// A four-layer image that exercises every unpacking rule: deleted files, replaced types, an opaque
/// directory, hard links, absolute and relative symlinks, set-id files, a device node and a FIFO,
/// owners, and binary xattrs (<c>security.capability</c>, <c>user.*</c>). Built once with umoci and
/// pushed three ways (gzip, zstd, uncompressed) to three registries: skopeo reuses blobs it already
/// pushed to a registry, so each compression needs its own. umoci's own unpack of the same layout is
/// the reference tree.
/// </summary>
public sealed class RichImageFixture : IAsyncLifetime
{
    public const string Repository = "rich/image:1";
    private const string Tag = "rich";

    // A version-2 file capability (cap_net_bind_service in the permitted set).
    private static readonly byte[] Capability = [0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    private static readonly byte[] BinaryValue = [0x00, 0xff, 0x10, 0x80, 0x00, 0x7f];

    private TempDirectory? _directory;
    private readonly Dictionary<LayerCompression, RegistryInstance> _registries = [];

    public string LayoutDirectory => _directory!.Combine("layout");

    /// <summary>umoci unpack's rootfs of the image: what GuestPull must reproduce.</summary>
    public string ReferenceRootfs => _directory!.Combine("umoci-bundle", "rootfs");

    public RegistryInstance RegistryFor(LayerCompression compression) => _registries[compression];

    public string Ref(LayerCompression compression) => _registries[compression].Host + "/" + Repository;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var ct = timeout.Token;
        _directory = TempDirectory.Create("rich-image");
        await ImageBuilder.BuildBusyboxAsync(LayoutDirectory, Tag, new ImageConfigOptions { Cmd = ["sh"] }, ct);
        await ImageBuilder.AddLayerAsync(LayoutDirectory, Tag, AddEverything, ct);
        await ImageBuilder.AddLayerAsync(LayoutDirectory, Tag, ReplaceAndDelete, ct);
        await ImageBuilder.AddRawLayerAsync(LayoutDirectory, Tag, OpaqueAndPaxLayer(), ct);
        await ImageBuilder.UnpackAsync(LayoutDirectory, Tag, _directory.Combine("umoci-bundle"), ct);

        foreach (var compression in new[] { LayerCompression.Gzip, LayerCompression.Zstd, LayerCompression.None })
        {
            var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "rich-" + compression }, ct);
            _registries[compression] = registry;
            await ImageBuilder.PushAsync(LayoutDirectory, Tag, registry, Repository, new PushOptions { Format = ManifestFormat.Oci, Compression = compression }, ct);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var registry in _registries.Values)
        {
            await registry.DisposeAsync();
        }

        _directory?.Dispose();
    }

    private static void AddEverything(string root)
    {
        var data = Directory.CreateDirectory(Path.Combine(root, "data")).FullName;
        Directory.CreateDirectory(Path.Combine(data, "sub"));
        Directory.CreateDirectory(Path.Combine(data, "opq"));
        Directory.CreateDirectory(Path.Combine(data, "owned-dir"));
        File.WriteAllText(Path.Combine(data, "a.txt"), "alpha");
        File.WriteAllText(Path.Combine(data, "sub", "b.txt"), "beta");
        File.WriteAllText(Path.Combine(data, "opq", "old.txt"), "hidden by the opaque marker");
        File.WriteAllText(Path.Combine(data, "hard1"), "shared inode");
        File.WriteAllText(Path.Combine(data, "owned.txt"), "owned by 1000");
        File.WriteAllText(Path.Combine(root, "bin", "suid-tool"), "#!/bin/sh\necho suid\n");
        File.WriteAllText(Path.Combine(root, "bin", "cap-tool"), "#!/bin/sh\necho cap\n");
        File.CreateSymbolicLink(Path.Combine(data, "abs"), "/etc/passwd");
        File.CreateSymbolicLink(Path.Combine(data, "rel"), "../etc/group");

        using var dataFd = FileSystemCalls.Open(data, OpenFlags.Path | OpenFlags.Directory);
        FileSystemCalls.LinkAt(dataFd, "hard1", dataFd, "hard2");
        FileSystemCalls.LinkAt(dataFd, "hard1", dataFd, "hard3");
        FileSystemCalls.MakeNodeAt(dataFd, "null", FileType.CharacterDevice, 0x1B6, FileSystemCalls.MakeDevice(1, 3));
        FileSystemCalls.MakeNodeAt(dataFd, "fifo", FileType.Fifo, 0x1A4, 0);
        FileSystemCalls.ChangeOwnerAt(dataFd, "owned.txt", 1000, 1000);
        FileSystemCalls.ChangeOwnerAt(dataFd, "owned-dir", 1000, 1000);
        File.SetUnixFileMode(Path.Combine(data, "owned-dir"), (UnixFileMode)0x1E8); // 0750
        ExtendedAttributes.Set(Path.Combine(data, "owned-dir"), "user.dir", BinaryValue);
        File.SetUnixFileMode(Path.Combine(root, "bin", "suid-tool"), (UnixFileMode)0xDED); // 06755
        File.SetUnixFileMode(Path.Combine(data, "sub"), (UnixFileMode)0x3FD); // 01775
        ExtendedAttributes.Set(Path.Combine(root, "bin", "cap-tool"), "security.capability", Capability);
        ExtendedAttributes.Set(Path.Combine(data, "a.txt"), "user.binary", BinaryValue);
    }

    private static void ReplaceAndDelete(string root)
    {
        var data = Path.Combine(root, "data");
        File.Delete(Path.Combine(data, "a.txt"));
        Directory.Delete(Path.Combine(data, "sub"), recursive: true);
        File.WriteAllText(Path.Combine(data, "sub"), "a directory became a file");
        File.Delete(Path.Combine(data, "rel"));
        Directory.CreateDirectory(Path.Combine(data, "rel"));
        File.WriteAllText(Path.Combine(data, "rel", "inside.txt"), "a symlink became a directory");
        File.SetUnixFileMode(Path.Combine(data, "owned.txt"), (UnixFileMode)0x180); // 0600
    }

    private static byte[] OpaqueAndPaxLayer() => new TarBuilder()
        .Directory("data/opq/", mode: 0x1ED)
        .File("data/opq/.wh..wh..opq", string.Empty)
        .File("data/opq/new.txt", "after the opaque marker")
        .Pax([("SCHILY.xattr.user.raw", BinaryValue)])
        .File("data/raw-xattr.txt", "carries a binary PAX xattr")
        .File("data/.wh.hard2", string.Empty)
        .File("data/owned-dir/late.txt", "written without an entry for its directory")
        .End()
        .ToArray();
}

[CollectionDefinition(Name)]
public sealed class RichImageCollection : ICollectionFixture<RichImageFixture>
{
    public const string Name = "rich image";
}
