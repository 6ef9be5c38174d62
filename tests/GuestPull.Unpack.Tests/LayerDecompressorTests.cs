using GuestPull.Testing;
using System.IO.Compression;
using System.Security.Cryptography;
using GuestPull.Testing.Traits;
using GuestPull.Unpack.Tests.Helpers;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace GuestPull.Unpack.Tests;

[Trait(Requires.Trait, Requires.Root)]
public sealed class LayerDecompressorTests
{
    public static TheoryData<string, LayerCompression> MediaTypes => new()
    {
        { "application/vnd.oci.image.layer.v1.tar", LayerCompression.None },
        { "application/vnd.oci.image.layer.v1.tar+gzip", LayerCompression.Gzip },
        { "application/vnd.oci.image.layer.v1.tar+zstd", LayerCompression.Zstd },
        { "application/vnd.oci.image.layer.nondistributable.v1.tar", LayerCompression.None },
        { "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", LayerCompression.Gzip },
        { "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", LayerCompression.Zstd },
        { "application/vnd.docker.image.rootfs.diff.tar", LayerCompression.None },
        { "application/vnd.docker.image.rootfs.diff.tar.gzip", LayerCompression.Gzip },
        { "application/vnd.docker.image.rootfs.diff.tar.zstd", LayerCompression.Zstd },
        { "application/vnd.docker.image.rootfs.foreign.diff.tar", LayerCompression.None },
        { "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", LayerCompression.Gzip },
    };

    [Theory]
    [MemberData(nameof(MediaTypes))]
    public void KnowsEveryLayerMediaType(string mediaType, LayerCompression compression)
    {
        Assert.Equal(compression, LayerDecompressor.GetCompression(mediaType));
        Assert.True(LayerDecompressor.IsSupported(mediaType));
    }

    [Theory]
    [InlineData("application/vnd.oci.image.manifest.v1+json", "is not a supported layer type")]
    [InlineData("application/vnd.oci.image.layer.v1.tar+bzip2", "is not a supported layer type")]
    [InlineData("application/vnd.oci.image.layer.v1.tar+gzip+encrypted", "is encrypted")]
    public void RefusesOtherMediaTypesByName(string mediaType, string problem)
    {
        var e = Assert.Throws<NotSupportedException>(() => LayerDecompressor.Open(new MemoryStream(), mediaType));
        Assert.Contains($"'{mediaType}'", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.False(LayerDecompressor.IsSupported(mediaType));
    }

    [Theory]
    [InlineData(LayerMediaTypes.OciTar)]
    [InlineData(LayerMediaTypes.DockerTarGzip)]
    [InlineData(LayerMediaTypes.OciTarZstd)]
    [InlineData(LayerMediaTypes.DockerForeignTarGzip)]
    public async Task AppliesCompressedLayersAndReportsTheDiffId(string mediaType)
    {
        await using var test = new TestRoot();
        var content = RandomNumberGenerator.GetBytes(300_000);
        var tar = new TarBuilder().Directory("d/").File("d/f", content).End().Raw(new byte[8192]).ToArray();
        var blob = LayerDecompressor.GetCompression(mediaType) switch
        {
            LayerCompression.Gzip => Layers.Gzip(tar, members: 3),
            LayerCompression.Zstd => Layers.Zstd(tar),
            _ => tar,
        };

        var result = await LayerApplier.ApplyCompressedAsync(new MemoryStream(blob), mediaType, test.Root);

        Assert.Equal(content, File.ReadAllBytes(test.InRoot("d/f")));
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar)), result.DiffId);
        Assert.Equal(tar.Length, result.UncompressedSize);
        Assert.Equal(content.Length, result.Bytes);
    }

    [Fact]
    public async Task GzipBombOverTheCapFails()
    {
        await using var test = new TestRoot();
        var blob = new MemoryStream();
        using (var gzip = new GZipStream(blob, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(new TarBuilder().Header(new TarHeaderSpec { Name = "bomb", Size = 64L << 20 }).ToArray());
            var zeros = new byte[1 << 20];
            for (var i = 0; i < 64; i++)
            {
                gzip.Write(zeros);
            }

            gzip.Write(new byte[1024]);
        }

        Assert.True(blob.Length < 200_000, $"the bomb is {blob.Length} bytes");
        blob.Position = 0;
        var options = new LayerApplyOptions { MaxLayerSize = 8L << 20 };

        var e = await Assert.ThrowsAsync<LayerTooLargeException>(() => LayerApplier.ApplyCompressedAsync(blob, LayerMediaTypes.OciTarGzip, test.Root, options));

        Assert.Contains("maximum uncompressed size of 8388608 bytes", e.Message, StringComparison.Ordinal);
        // Stopped within a buffer of the cap, never near the 64 MiB the blob expands to.
        Assert.True(new FileInfo(test.InRoot("bomb")).Length <= (8L << 20));
        test.AssertOutsideUntouched();
    }

    [Fact]
    public async Task CorruptGzipIsAnInvalidLayer()
    {
        await using var test = new TestRoot();
        var blob = Layers.Gzip(new TarBuilder().File("f", new byte[100_000]).End().ToArray());
        blob[blob.Length / 2] ^= 0xff;
        blob[(blob.Length / 2) + 1] ^= 0xff;

        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => LayerApplier.ApplyCompressedAsync(new MemoryStream(blob), LayerMediaTypes.OciTarGzip, test.Root));

        Assert.Contains("layer gzip data is corrupt", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TruncatedZstdIsAnInvalidLayer()
    {
        await using var test = new TestRoot();
        var blob = Layers.Zstd(new TarBuilder().File("f", RandomNumberGenerator.GetBytes(100_000)).End().ToArray());

        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => LayerApplier.ApplyCompressedAsync(new MemoryStream(blob[..(blob.Length / 2)]), LayerMediaTypes.OciTarZstd, test.Root));

        Assert.Contains("layer zstd data is corrupt or truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ZstdFramesAskingForAHugeWindowAreRefused()
    {
        await using var test = new TestRoot();
        var tar = new TarBuilder().File("f", new byte[1000]).End().ToArray();
        var blob = new MemoryStream();
        using (var zstd = new CompressionStream(blob, 3, leaveOpen: true))
        {
            // Streaming compression does not know the size, so the frame declares the full 2^30 window.
            zstd.SetParameter(ZSTD_cParameter.ZSTD_c_windowLog, 30);
            zstd.Write(tar);
        }

        blob.Position = 0;
        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => LayerApplier.ApplyCompressedAsync(blob, LayerMediaTypes.OciTarZstd, test.Root));
        Assert.Contains("Frame requires too much memory", e.Message, StringComparison.Ordinal);
    }
}
