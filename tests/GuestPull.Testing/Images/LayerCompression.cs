namespace GuestPull.Testing;

/// How pushed layers are compressed. umoci writes gzip layers, so Gzip pushes them unchanged.
public enum LayerCompression
{
    Gzip,
    Zstd,

    /// Uncompressed tar layers (skopeo --dest-decompress).
    None,
}
