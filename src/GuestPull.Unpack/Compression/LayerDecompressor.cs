using System.IO.Compression;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace GuestPull.Unpack;

/// <summary>Turns a layer blob into its uncompressed tar stream, by media type.</summary>
public static class LayerDecompressor
{
    /// <summary>
    /// The largest zstd window accepted (2^27 = 128 MiB, zstd's own default): a frame may ask for
    /// up to 2 GiB+ of window, which would let a tiny blob exhaust the guest's memory.
    /// </summary>
    public const int MaxZstdWindowLog = 27;

    private const int ReadBufferSize = 128 * 1024;

    /// <summary>The compression of a layer media type; throws <see cref="NotSupportedException"/> naming unknown ones.</summary>
    /// <param name="mediaType">The descriptor's media type.</param>
    public static LayerCompression GetCompression(string mediaType)
    {
        ArgumentNullException.ThrowIfNull(mediaType);
        return mediaType switch
        {
            LayerMediaTypes.OciTar or LayerMediaTypes.OciNondistributableTar
                or LayerMediaTypes.DockerTar or LayerMediaTypes.DockerForeignTar => LayerCompression.None,
            LayerMediaTypes.OciTarGzip or LayerMediaTypes.OciNondistributableTarGzip
                or LayerMediaTypes.DockerTarGzip or LayerMediaTypes.DockerForeignTarGzip => LayerCompression.Gzip,
            LayerMediaTypes.OciTarZstd or LayerMediaTypes.OciNondistributableTarZstd
                or LayerMediaTypes.DockerTarZstd => LayerCompression.Zstd,
            _ when mediaType.EndsWith("+encrypted", StringComparison.Ordinal)
                => throw new NotSupportedException($"layer media type '{mediaType}' is encrypted; encrypted layers are not supported"),
            _ => throw new NotSupportedException($"layer media type '{mediaType}' is not a supported layer type (tar, tar+gzip or tar+zstd)"),
        };
    }

    /// <summary>Whether <paramref name="mediaType"/> is a layer type this class can open.</summary>
    /// <param name="mediaType">The descriptor's media type.</param>
    public static bool IsSupported(string mediaType)
    {
        try
        {
            GetCompression(mediaType);
            return true;
        }
        catch (NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>
    /// Wraps <paramref name="blob"/> in the decompressor its media type calls for. Corrupt
    /// compressed data surfaces as <see cref="InvalidLayerException"/> when read.
    /// </summary>
    /// <param name="blob">The compressed (or plain) layer bytes.</param>
    /// <param name="mediaType">The descriptor's media type.</param>
    /// <param name="leaveOpen">Keep <paramref name="blob"/> open when the returned stream is disposed.</param>
    public static Stream Open(Stream blob, string mediaType, bool leaveOpen = false)
        => Open(blob, GetCompression(mediaType), leaveOpen);

    /// <summary>Wraps <paramref name="blob"/> in the decompressor for <paramref name="compression"/>.</summary>
    /// <param name="blob">The compressed (or plain) layer bytes.</param>
    /// <param name="compression">The compression.</param>
    /// <param name="leaveOpen">Keep <paramref name="blob"/> open when the returned stream is disposed.</param>
    public static Stream Open(Stream blob, LayerCompression compression, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(blob);
        switch (compression)
        {
            case LayerCompression.None:
                return leaveOpen ? new DecompressingLayerStream(blob, "tar", ownsInner: false) : blob;
            case LayerCompression.Gzip:
                return new DecompressingLayerStream(new GZipStream(blob, CompressionMode.Decompress, leaveOpen), "gzip", ownsInner: true);
            case LayerCompression.Zstd:
                var zstd = new DecompressionStream(blob, ReadBufferSize, checkEndOfStream: true, leaveOpen: leaveOpen);
                zstd.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, MaxZstdWindowLog);
                return new DecompressingLayerStream(zstd, "zstd", ownsInner: true);
            default:
                throw new ArgumentOutOfRangeException(nameof(compression), compression, "unknown compression");
        }
    }
}
