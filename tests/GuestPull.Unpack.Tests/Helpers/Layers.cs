using GuestPull.Testing;
using System.IO.Compression;
using ZstdSharp;

namespace GuestPull.Unpack.Tests.Helpers;

/// <summary>Applies test layers and compresses them.</summary>
internal static class Layers
{
    public static Task<LayerApplyResult> ApplyAsync(TarBuilder tar, string root, WhiteoutMode mode = WhiteoutMode.Apply, bool userSpace = false, List<LayerApplyWarning>? warnings = null)
        => ApplyAsync(tar.ToArray(), root, Options(mode, userSpace, warnings));

    public static async Task<LayerApplyResult> ApplyAsync(byte[] tar, string root, LayerApplyOptions options)
    {
        using var stream = new MemoryStream(tar, writable: false);
        return await LayerApplier.ApplyAsync(stream, root, options);
    }

    public static LayerApplyOptions Options(WhiteoutMode mode = WhiteoutMode.Apply, bool userSpace = false, List<LayerApplyWarning>? warnings = null) => new()
    {
        WhiteoutMode = mode,
        ForceUserSpaceResolution = userSpace,
        Warning = warnings is null ? null : warnings.Add,
    };

    public static byte[] Gzip(byte[] data, int members = 1)
    {
        var output = new MemoryStream();
        var size = (data.Length + members - 1) / members;
        for (var offset = 0; offset < data.Length; offset += size)
        {
            using var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true);
            gzip.Write(data, offset, Math.Min(size, data.Length - offset));
        }

        return output.ToArray();
    }

    public static byte[] Zstd(byte[] data)
    {
        using var compressor = new Compressor(3);
        return compressor.Wrap(data).ToArray();
    }
}
