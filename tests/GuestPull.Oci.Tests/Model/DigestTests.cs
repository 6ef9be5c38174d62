using GuestPull.Oci.Model;

namespace GuestPull.Oci.Tests.Model;

public sealed class DigestTests
{
    private const string Sha256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    [Fact]
    public void ParsesSha256AndSha512()
    {
        var d = Digest.Parse("sha256:" + Sha256Hex);
        Assert.Equal("sha256", d.Algorithm);
        Assert.Equal(Sha256Hex, d.Hex);
        Assert.Equal("sha256:" + Sha256Hex, d.ToString());

        var sha512 = "sha512:" + new string('a', 128);
        Assert.Equal(sha512, Digest.Parse(sha512).ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("sha256", "algorithm:hex")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported algorithm")]
    [InlineData("sha256:abc", "64 hex characters")]
    [InlineData("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "lower-case hex")]
    [InlineData("sha256:../../../../etc/passwd/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "lower-case hex")]
    [InlineData("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85/", "lower-case hex")]
    [InlineData("sha512:" + Sha256Hex, "128 hex characters")]
    public void RejectsMalformedDigestsWithAReason(string text, string reason)
    {
        var ex = Assert.Throws<FormatException>(() => Digest.Parse(text));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.False(Digest.TryParse(text, out _));
    }

    [Fact]
    public void ComputesSha256OfContent()
    {
        Assert.Equal("sha256:" + Sha256Hex, Digest.ComputeSha256([]).ToString());
        var abc = Digest.ComputeSha256("abc"u8);
        Assert.Equal("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", abc.ToString());
    }

    [Fact]
    public void ComputesWithTheSameAlgorithm()
    {
        var sha512 = Digest.Parse("sha512:" + new string('0', 128));
        var computed = sha512.ComputeSameAlgorithm("abc"u8);
        Assert.Equal("sha512", computed.Algorithm);
        Assert.StartsWith("sha512:ddaf35a193617aba", computed.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void EqualityIsByValue()
    {
        Assert.Equal(Digest.Parse("sha256:" + Sha256Hex), Digest.ComputeSha256([]));
        Assert.NotEqual(Digest.Parse("sha256:" + Sha256Hex), Digest.ComputeSha256("x"u8));
    }
}
