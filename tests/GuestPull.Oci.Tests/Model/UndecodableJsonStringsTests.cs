using System.Text;
using GuestPull.Oci.Model;

namespace GuestPull.Oci.Tests.Model;

/// <summary>
/// Regression tests from the fuzzing campaign (fuzz/, targets oci-manifest and oci-config): a string
/// with no UTF-16 form made the parsers throw InvalidOperationException from wherever it was read.
/// </summary>
public sealed class UndecodableJsonStringsTests
{
    private static readonly string D1 = "sha256:" + new string('1', 64);
    private static readonly string D2 = "sha256:" + new string('2', 64);

    // "\u00ff" stands for a raw 0xFF byte, which no UTF-8 sequence contains.
    private static byte[] Bytes(string json) =>
        [.. Encoding.UTF8.GetBytes(json).SelectMany(b => b == (byte)'~' ? new byte[] { 0xFF } : [b])];

    public static TheoryData<string> Manifests() => new()
    {
        // A value read as a descriptor's string (the fuzzer's first crash: a digest with a stray byte).
        $$$"""{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{{D1}}}","size":1},"layers":[{"mediaType":"a~","digest":"{{{D2}}}","size":1}]}""",
        // A key, read by the duplicate-key check.
        $$$"""{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{{D1}}}","size":1},"layers":[],"annotations":{"k~":"v"}}""",
        // A top-level media type.
        """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json~","manifests":[]}""",
    };

    [Theory]
    [MemberData(nameof(Manifests))]
    public void AManifestWithAStringThatIsNotUtf8IsRefusedAsMalformed(string json)
    {
        var ex = Assert.Throws<OciFormatException>(() => ManifestParser.Parse(Bytes(json), null));
        Assert.Contains("not valid UTF-8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEscapedUnpairedSurrogateIsRefusedAsMalformed()
    {
        var json = $$$"""{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{{D1}}}","size":1},"layers":[],"artifactType":"\ud800"}""";

        var ex = Assert.Throws<OciFormatException>(() => ManifestParser.Parse(Encoding.UTF8.GetBytes(json), null));
        Assert.Contains("unpaired surrogate", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> Configs() => new()
    {
        // A string list (Env), a key (duplicate-key check), a required string (architecture), a string map (Labels).
        """{"architecture":"amd64","os":"linux","config":{"Env":["A~=b"]},"rootfs":{"type":"layers","diff_ids":[]}}""",
        """{"architecture":"amd64","os":"linux","config":{"E~":["A=b"]},"rootfs":{"type":"layers","diff_ids":[]}}""",
        """{"architecture":"am~d64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""",
        """{"architecture":"amd64","os":"linux","config":{"Labels":{"k":"~"}},"rootfs":{"type":"layers","diff_ids":[]}}""",
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void AnImageConfigWithAStringThatIsNotUtf8IsRefusedAsMalformed(string json)
    {
        var ex = Assert.Throws<OciFormatException>(() => ImageConfig.Parse(Bytes(json)));
        Assert.StartsWith("image config: the ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidNonAsciiTextStillParses()
    {
        var config = ImageConfig.Parse(Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","config":{"Labels":{"é":"ü \ud83d\ude00"}},"rootfs":{"type":"layers","diff_ids":[]}}"""));

        Assert.Equal("ü 😀", config.Labels["é"]);
    }
}
