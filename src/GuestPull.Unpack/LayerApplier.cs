using GuestPull.Unpack.Rootfs;

namespace GuestPull.Unpack;

/// <summary>
/// Applies OCI/Docker image layers to a root directory, confined to it whatever the layer holds.
/// Entry names are normalised inside the root the way containerd does ("../x" and "/x" mean "x");
/// every file system operation is resolved relative to the root's descriptor with RESOLVE_IN_ROOT
/// semantics, so symlinks placed by this or earlier layers can never lead a write outside.
/// </summary>
public static class LayerApplier
{
    /// <summary>Applies an uncompressed layer tar stream to <paramref name="rootDirectory"/>.</summary>
    /// <param name="tar">The uncompressed tar stream (read to its end, see <see cref="LayerApplyOptions.DrainTrailingData"/>).</param>
    /// <param name="rootDirectory">An existing directory: the layers below (apply form) or an empty per-layer directory (overlay form).</param>
    /// <param name="options">Whiteout form, caps and the warning callback; defaults when null.</param>
    /// <param name="cancellationToken">Stops between reads and entries.</param>
    /// <exception cref="InvalidLayerException">The layer is malformed, hostile or over a cap.</exception>
    /// <exception cref="IOException">A file system operation failed.</exception>
    public static async Task<LayerApplyResult> ApplyAsync(Stream tar, string rootDirectory, LayerApplyOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tar);
        ArgumentException.ThrowIfNullOrEmpty(rootDirectory);
        options ??= new LayerApplyOptions();
        options.Validate();
        using var application = new LayerApplication(rootDirectory, options);
        return await application.RunAsync(tar, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Decompresses a layer blob by its media type and applies it to <paramref name="rootDirectory"/>.</summary>
    /// <param name="blob">The layer blob as stored in the registry (left open).</param>
    /// <param name="mediaType">The descriptor's media type.</param>
    /// <param name="rootDirectory">The root directory.</param>
    /// <param name="options">Whiteout form, caps and the warning callback; defaults when null.</param>
    /// <param name="cancellationToken">Stops between reads and entries.</param>
    /// <exception cref="NotSupportedException">The media type is not a supported layer type.</exception>
    /// <exception cref="InvalidLayerException">The layer is malformed, hostile or over a cap.</exception>
    /// <exception cref="IOException">A file system operation failed.</exception>
    public static async Task<LayerApplyResult> ApplyCompressedAsync(Stream blob, string mediaType, string rootDirectory, LayerApplyOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var tar = LayerDecompressor.Open(blob, mediaType, leaveOpen: true);
        await using (tar.ConfigureAwait(false))
        {
            return await ApplyAsync(tar, rootDirectory, options, cancellationToken).ConfigureAwait(false);
        }
    }
}
