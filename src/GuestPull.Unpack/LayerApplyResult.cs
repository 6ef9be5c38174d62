namespace GuestPull.Unpack;

/// <summary>What applying one layer did.</summary>
public sealed class LayerApplyResult
{
    /// <summary>Regular files written.</summary>
    public long Files { get; internal set; }

    /// <summary>Directories created or updated by an entry (implicit parents are not counted).</summary>
    public long Directories { get; internal set; }

    /// <summary>Symbolic links created.</summary>
    public long SymbolicLinks { get; internal set; }

    /// <summary>Hard links created.</summary>
    public long HardLinks { get; internal set; }

    /// <summary>
    /// Of <see cref="HardLinks"/>, those whose target is in a layer below (overlay form only): written
    /// as placeholders for whoever stacks the layers to resolve (see <see cref="Unpack.LowerLayerHardLinks"/>).
    /// </summary>
    public long LowerLayerHardLinks { get; internal set; }

    /// <summary>Character and block devices and FIFOs created.</summary>
    public long SpecialFiles { get; internal set; }

    /// <summary>Whiteout entries processed (<c>.wh.NAME</c>).</summary>
    public long Whiteouts { get; internal set; }

    /// <summary>Opaque directory markers processed.</summary>
    public long OpaqueDirectories { get; internal set; }

    /// <summary>Device nodes skipped because they could not be created.</summary>
    public long SkippedDevices { get; internal set; }

    /// <summary>Warnings raised (see <see cref="LayerApplyOptions.Warning"/>).</summary>
    public long Warnings { get; internal set; }

    /// <summary>Bytes of regular file content written.</summary>
    public long Bytes { get; internal set; }

    /// <summary>Bytes of the uncompressed tar stream read, trailing data included.</summary>
    public long UncompressedSize { get; internal set; }

    /// <summary>sha256 of the uncompressed stream as read (<c>sha256:…</c>); the layer's DiffID when the whole stream was drained.</summary>
    public string DiffId { get; internal set; } = string.Empty;

    /// <summary>
    /// Parent directories the layer needed but has no entry for (relative paths, sorted). In overlay
    /// form they exist in the layer's own directory with default attributes (0755, root, no xattrs),
    /// so whoever stacks the layers must take their real attributes from the layers below.
    /// </summary>
    public IReadOnlyList<string> ImplicitDirectories { get; internal set; } = [];

    /// <summary>
    /// Whether the layer had an entry for its root directory (<c>./</c>), whose owner, mode, xattrs and
    /// time the root then took. In overlay form a layer without one leaves its root with default
    /// attributes (0755, root), like an implicit parent: whoever stacks the layers takes the root's
    /// attributes from the nearest layer below that has the entry.
    /// </summary>
    public bool HasRootEntry { get; internal set; }
}
