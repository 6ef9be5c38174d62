using System.Globalization;

namespace GuestPull.Testing;

/// <summary>
/// The hostile layers the unpack tests throw at the applier, as stacks of layers (base first) that
/// unpack without error: names that climb out, symlinks to the real outside, lower-layer symlinks,
/// hard links through them, hard links into lower layers (links to links, targets replaced or whited
/// out after the link), xattrs on links, a PAX size that smuggles entries, whiteouts through
/// symlinks and the whiteout/opaque combinations overlay and flatten form must agree on. The unpack
/// tests check each is confined; the bundle tests check overlay and flatten bundles of each are the
/// same tree. <paramref name="outside"/> is an absolute path next to the root that must stay untouched.
/// </summary>
public static class HostileLayerCorpus
{
    /// <summary>Every case, by name.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<byte[]>> Cases(string outside) => new Dictionary<string, IReadOnlyList<byte[]>>(StringComparer.Ordinal)
    {
        ["dot-dot-and-absolute-names"] = [DotDotAndAbsoluteNames()],
        ["writes-through-symlinks-to-outside"] = [WritesThroughSymlinksToOutside(outside)],
        ["lower-layer-symlinks"] = LowerLayerSymlinks(outside),
        ["symlink-replaced-by-directory"] = [new TarBuilder().Symlink("d", outside).End().ToArray(), new TarBuilder().Directory("d/", mode: 0x1FF).File("d/sentinel", "inside").End().ToArray()],
        ["whiteouts-through-symlinks"] = WhiteoutsThroughSymlinks(outside),
        ["xattrs-on-a-link-to-outside"] = [new TarBuilder().Pax(("SCHILY.xattr.trusted.evil", "1")).Symlink("l", Path.Combine(outside, "sentinel")).End().ToArray()],
        ["pax-size-smuggling"] = [PaxSizeSmuggling(outside)],
        ["whiteout-of-an-absent-name-in-an-opaque-directory"] =
        [
            new TarBuilder().Directory("d/").File("d/old", "old").End().ToArray(),
            new TarBuilder().Directory("d/").File("d/.wh..wh..opq", string.Empty).File("d/.wh.never-there", string.Empty).File("d/new", "new").End().ToArray(),
        ],
        ["whiteout-before-the-opaque-marker"] =
        [
            new TarBuilder().Directory("d/").File("d/old", "old").Directory("d/sub/").File("d/sub/x", "x").End().ToArray(),
            new TarBuilder().Directory("d/").File("d/.wh.old", string.Empty).File("d/.wh.absent", string.Empty).Directory("d/sub/").File("d/sub/.wh.x", string.Empty).File("d/.wh..wh..opq", string.Empty).End().ToArray(),
        ],
        ["whiteout-below-a-whited-out-directory"] =
        [
            new TarBuilder().Directory("d/").File("d/old", "old").End().ToArray(),
            new TarBuilder().File(".wh.d", string.Empty).File("d/.wh.absent", string.Empty).File("d/new", "new").End().ToArray(),
        ],
        ["opaque-root"] =
        [
            new TarBuilder().Directory("a/").File("a/old", "old").File("top", "t").End().ToArray(),
            new TarBuilder().File(".wh..wh..opq", string.Empty).File(".wh.absent", string.Empty).File("new", "new").End().ToArray(),
        ],
        ["whiteouts-of-files-links-and-directories"] =
        [
            new TarBuilder().File("f", "f").Symlink("l", outside).Directory("d/").File("d/x", "x").HardLink("h", "f").End().ToArray(),
            new TarBuilder().File(".wh.f", string.Empty).File(".wh.l", string.Empty).File(".wh.d", string.Empty).File(".wh.h", string.Empty).Directory("d/").File("d/y", "y").End().ToArray(),
        ],
        ["hard-links-into-lower-layers"] =
        [
            new TarBuilder().Directory("d/").File("d/t", "t", mode: 0x1E4, uid: 7).HardLink("d/t2", "d/t").File("d/r", "r").Symlink("out", outside).End().ToArray(),
            new TarBuilder().HardLink("a", "d/t").HardLink("b", "a").HardLink("c", "d/r").Directory("d/").File("d/r", "new r").HardLink("../../e", "/d/t").File(".wh.out", string.Empty).HardLink("x/y", "d/t2").End().ToArray(),
            new TarBuilder().File(".wh.b", string.Empty).HardLink("f", "a").File("d/.wh.t", string.Empty).End().ToArray(),
        ],
    };

    private static byte[] DotDotAndAbsoluteNames() => new TarBuilder()
        .File("../escape", "1")
        .File("/absolute", "2")
        .File("a/../../../../climb", "3")
        .File("./../outside/sentinel", "4")
        .Symlink("../../link-out", "x")
        .HardLink("../../hard-out", "/absolute")
        .End().ToArray();

    private static byte[] WritesThroughSymlinksToOutside(string outside) => new TarBuilder()
        .Symlink("abs", outside)
        .Symlink("rel", "../../outside")
        .File("abs/sentinel", "overwritten?")
        .File("rel/sentinel", "overwritten?")
        .File("abs/dir/file", "overwritten?")
        .Directory("rel/dir/")
        .Pax(("SCHILY.xattr.user.x", "1"))
        .File("abs/new", "new")
        .End().ToArray();

    private static byte[][] LowerLayerSymlinks(string outside) =>
    [
        new TarBuilder().Symlink("etc", outside).Symlink("sentinel-link", Path.Combine(outside, "sentinel")).End().ToArray(),
        new TarBuilder().File("etc/sentinel", "through lower link").File("sentinel-link", "replaces the link", mode: 0x1FF).End().ToArray(),
    ];

    private static byte[][] WhiteoutsThroughSymlinks(string outside) =>
    [
        new TarBuilder().Symlink("s", outside).Symlink("r", "../../outside").End().ToArray(),
        new TarBuilder().File("s/.wh.sentinel", string.Empty).File("r/.wh.dir", string.Empty).File("s/.wh..wh..opq", string.Empty).End().ToArray(),
    ];

    private static byte[] PaxSizeSmuggling(string outside)
    {
        var smuggled = new TarBuilder().Symlink("escape", outside).File("escape/sentinel", "smuggled").ToArray();
        return new TarBuilder()
            .Pax(("size", smuggled.Length.ToString(CultureInfo.InvariantCulture)))
            .Header(new TarHeaderSpec { Name = "carrier", Size = 0 })
            .Data(smuggled)
            .End().ToArray();
    }
}
