using System.Text;
using GuestPull.Oci.Model;

namespace GuestPull.Oci.Tests.Model;

public sealed class ManifestParserTests
{
    private static readonly string D1 = "sha256:" + new string('1', 64);
    private static readonly string D2 = "sha256:" + new string('2', 64);
    private static readonly string D3 = "sha256:" + new string('3', 64);

    private static string OciManifest(string? mediaType = MediaTypes.OciManifest) =>
        "{\"schemaVersion\":2," + (mediaType is null ? string.Empty : $"\"mediaType\":\"{mediaType}\",")
        + $"\"config\":{{\"mediaType\":\"{MediaTypes.OciConfig}\",\"digest\":\"{D1}\",\"size\":100}},"
        + $"\"layers\":[{{\"mediaType\":\"{MediaTypes.OciLayerTarGzip}\",\"digest\":\"{D2}\",\"size\":2000}},"
        + $"{{\"mediaType\":\"{MediaTypes.OciLayerTarZstd}\",\"digest\":\"{D3}\",\"size\":3000,\"annotations\":{{\"a\":\"b\"}}}}],"
        + "\"annotations\":{\"org.opencontainers.image.version\":\"1\"}}";

    private static ManifestDocument Parse(string json, string? contentType = null) =>
        ManifestParser.Parse(Encoding.UTF8.GetBytes(json), contentType);

    [Fact]
    public void ParsesAnOciManifest()
    {
        var json = OciManifest();
        var doc = Parse(json, MediaTypes.OciManifest);
        Assert.False(doc.IsIndex);
        Assert.Equal(MediaTypes.OciManifest, doc.MediaType);
        Assert.Equal(Digest.ComputeSha256(Encoding.UTF8.GetBytes(json)), doc.Digest);
        var m = doc.Manifest!;
        Assert.Equal(D1, m.Config.Digest.ToString());
        Assert.Equal(100, m.Config.Size);
        Assert.Equal(2, m.Layers.Count);
        Assert.Equal(LayerCompression.Zstd, MediaTypes.GetLayerCompression(m.Layers[1].MediaType));
        Assert.Equal("b", m.Layers[1].Annotations["a"]);
        Assert.Equal("1", m.Annotations["org.opencontainers.image.version"]);
    }

    [Fact]
    public void KeepsTheExactBytes()
    {
        var json = "  " + OciManifest() + "\n";
        var doc = Parse(json);
        Assert.Equal(json, Encoding.UTF8.GetString(doc.Bytes.Span));
    }

    [Fact]
    public void InfersTheTypeFromContentTypeWhenTheBodyHasNone()
    {
        var doc = Parse(OciManifest(mediaType: null), MediaTypes.DockerManifest + "; charset=utf-8");
        Assert.Equal(MediaTypes.DockerManifest, doc.MediaType);
        Assert.Equal(MediaTypes.OciManifest, Parse(OciManifest(mediaType: null)).MediaType);
    }

    [Fact]
    public void ParsesADockerManifestList()
    {
        var json = $$$"""
            {"schemaVersion":2,"mediaType":"{{{MediaTypes.DockerManifestList}}}","manifests":[
              {"mediaType":"{{{MediaTypes.DockerManifest}}}","digest":"{{{D1}}}","size":10,"platform":{"architecture":"amd64","os":"linux"}},
              {"mediaType":"{{{MediaTypes.DockerManifest}}}","digest":"{{{D2}}}","size":11,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},
              {"mediaType":"{{{MediaTypes.DockerManifest}}}","digest":"{{{D3}}}","size":12,"platform":{"architecture":"arm","os":"linux","variant":"v7"}}]}
            """;
        var doc = Parse(json, MediaTypes.DockerManifestList);
        Assert.True(doc.IsIndex);
        var index = doc.Index!;
        Assert.Equal(D2, index.SelectPlatform(Platform.Parse("linux/arm64")).Digest.ToString());
        Assert.Equal(D2, index.SelectPlatform(Platform.Parse("linux/arm64/v8")).Digest.ToString());
        Assert.Equal(D1, index.SelectPlatform(Platform.Parse("linux/amd64")).Digest.ToString());
        Assert.Equal(D3, index.SelectPlatform(Platform.Parse("linux/arm/v7")).Digest.ToString());
        var ex = Assert.Throws<PlatformNotFoundException>(() => index.SelectPlatform(Platform.Parse("linux/s390x")));
        Assert.Contains("linux/s390x", ex.Message, StringComparison.Ordinal);
        Assert.Contains("linux/amd64, linux/arm64/v8, linux/arm/v7", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IndexSkipsEntriesWithoutPlatformAndAttestations()
    {
        var json = $$$"""
            {"schemaVersion":2,"mediaType":"{{{MediaTypes.OciIndex}}}","manifests":[
              {"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"{{{D1}}}","size":10,"platform":{"architecture":"unknown","os":"unknown"}},
              {"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"{{{D2}}}","size":10},
              {"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"{{{D3}}}","size":10,"platform":{"architecture":"amd64","os":"linux"}}]}
            """;
        Assert.Equal(D3, Parse(json).Index!.SelectPlatform(Platform.Parse("linux/amd64")).Digest.ToString());
    }

    [Theory]
    [InlineData("{\"schemaVersion\":1,\"name\":\"x\",\"tag\":\"y\",\"fsLayers\":[]}", null)]
    [InlineData("{\"schemaVersion\":2}", MediaTypes.DockerManifestSchema1Signed)]
    [InlineData("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v1+json\"}", null)]
    public void RefusesSchema1WithAClearMessage(string json, string? contentType)
    {
        var ex = Assert.Throws<UnsupportedManifestException>(() => Parse(json, contentType));
        Assert.Contains("schema 1", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}", "schemaVersion")]
    [InlineData("{\"schemaVersion\":3}", "schemaVersion")]
    [InlineData("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"layers\":[]}", "missing \"config\"")]
    [InlineData("{\"schemaVersion\":2,\"mediaType\":\"text/plain\",\"layers\":[],\"config\":{}}", "unsupported media type")]
    public void RejectsInvalidDocuments(string json, string reason)
    {
        var ex = Assert.ThrowsAny<OciFormatException>(() => Parse(json));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsAMediaTypeThatDisagreesWithContentType()
    {
        var ex = Assert.Throws<OciFormatException>(() => Parse(OciManifest(), MediaTypes.OciIndex));
        Assert.Contains("served as application/vnd.oci.image.index.v1+json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsAmbiguousDocuments()
    {
        var json = OciManifest()[..^1] + ",\"manifests\":[]}";
        var ex = Assert.Throws<OciFormatException>(() => Parse(json));
        Assert.Contains("ambiguous", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsADuplicateLayersKeyNamingIt()
    {
        // Last one wins in System.Text.Json, first one in other parsers: the two would pull different layers.
        var json = OciManifest()[..^1] + $",\"layers\":[{{\"mediaType\":\"{MediaTypes.OciLayerTarGzip}\",\"digest\":\"{D1}\",\"size\":1}}]}}";
        var ex = Assert.Throws<OciFormatException>(() => Parse(json));
        Assert.Contains("manifest: duplicate key \"layers\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsADuplicateKeyWrittenWithAnEscape()
    {
        var json = OciManifest()[..^1] + ",\"l\\u0061yers\":[]}";
        var ex = Assert.Throws<OciFormatException>(() => Parse(json));
        Assert.Contains("duplicate key \"layers\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsADuplicateKeyInsideALayerDescriptor()
    {
        var json = OciManifest().Replace($"\"digest\":\"{D2}\"", $"\"digest\":\"{D2}\",\"digest\":\"{D3}\"", StringComparison.Ordinal);
        var ex = Assert.Throws<OciFormatException>(() => Parse(json));
        Assert.Contains("manifest: duplicate key \"digest\" in $.layers[0]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsADuplicateKeyDeepInAnIndex()
    {
        var json = $$$"""
            {"schemaVersion":2,"mediaType":"{{{MediaTypes.OciIndex}}}","manifests":[
              {"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"{{{D1}}}","size":10,"platform":{"architecture":"amd64","os":"linux","os":"windows"}}]}
            """;
        var ex = Assert.Throws<OciFormatException>(() => Parse(json));
        Assert.Contains("index: duplicate key \"os\" in $.manifests[0].platform", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsADuplicateAnnotation()
    {
        var json = OciManifest().Replace("{\"a\":\"b\"}", "{\"a\":\"b\",\"a\":\"c\"}", StringComparison.Ordinal);
        var ex = Assert.Throws<OciFormatException>(() => Parse(json));
        Assert.Contains("duplicate key \"a\" in $.layers[1].annotations", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"digest\":\"sha256:xyz\"", "64 hex characters")]
    [InlineData("\"digest\":\"sha256:../../../etc/passwd\"", "hex")]
    [InlineData("\"digest\":5", "must be a string")]
    [InlineData("\"size\":-1", "non-negative")]
    [InlineData("\"size\":1.5", "non-negative")]
    [InlineData("\"size\":\"12\"", "non-negative")]
    public void RejectsBadLayerDescriptorsNamingTheField(string replacement, string reason)
    {
        var json = OciManifest();
        json = replacement.StartsWith("\"digest\"", StringComparison.Ordinal)
            ? json.Replace($"\"digest\":\"{D2}\"", replacement, StringComparison.Ordinal)
            : json.Replace("\"size\":2000", replacement, StringComparison.Ordinal);
        var ex = Assert.ThrowsAny<OciFormatException>(() => Parse(json));
        Assert.Contains("layers[0]", ex.Message, StringComparison.Ordinal);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ComputesTheDigestWithTheRequestedAlgorithm()
    {
        var json = OciManifest();
        var pin = Digest.Parse("sha512:" + new string('0', 128));
        var doc = ManifestParser.Parse(Encoding.UTF8.GetBytes(json), null, pin);
        Assert.Equal("sha512", doc.Digest.Algorithm);
    }
}
