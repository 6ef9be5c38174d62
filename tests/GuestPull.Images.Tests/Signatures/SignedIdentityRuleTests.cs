using GuestPull.Images.Signatures;

namespace GuestPull.Images.Tests.Signatures;

public sealed class SignedIdentityRuleTests
{
    private const string Digest = "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";

    private static string? Check(SignedIdentityRule rule, string image, string signed) =>
        rule.Check(DockerIdentity.Parse(image), DockerIdentity.Parse(signed));

    [Theory]
    [InlineData("example.com/app:1", "example.com/app:1", true)]
    [InlineData("example.com/app:1", "example.com/app:2", false)]
    [InlineData("example.com/app:1", "example.com/app", false)]
    [InlineData("example.com/app:1", "example.com/other:1", false)]
    [InlineData("example.com/app@" + Digest, "example.com/app:anything", true)]
    [InlineData("example.com/app@" + Digest, "example.com/other:1", false)]
    [InlineData("busybox:1", "docker.io/library/busybox:1", true)]
    public void MatchRepoDigestOrExact(string image, string signed, bool accepted)
    {
        var result = Check(SignedIdentityRule.Default, image, signed);
        Assert.Equal(accepted, result is null);
        if (!accepted)
        {
            Assert.StartsWith("identity mismatch (signedIdentity matchRepoDigestOrExact)", result, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("example.com/app:1", "example.com/app:2", true)]
    [InlineData("example.com/app:1", "example.com/app", true)]
    [InlineData("example.com/app:1", "example.com/other:1", false)]
    public void MatchRepository(string image, string signed, bool accepted)
    {
        var result = Check(new SignedIdentityRule { Kind = SignedIdentityKind.MatchRepository }, image, signed);
        Assert.Equal(accepted, result is null);
        if (!accepted)
        {
            Assert.StartsWith("identity mismatch (signedIdentity matchRepository)", result, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("example.com/anything:1", "example.com/app:release", true)]
    [InlineData("example.com/app:release", "example.com/app:other", false)]
    public void ExactReferenceIgnoresTheImageName(string image, string signed, bool accepted)
    {
        var rule = new SignedIdentityRule { Kind = SignedIdentityKind.ExactReference, DockerReference = DockerIdentity.Parse("example.com/app:release") };
        var result = Check(rule, image, signed);
        Assert.Equal(accepted, result is null);
        if (!accepted)
        {
            Assert.StartsWith("identity mismatch (signedIdentity exactReference)", result, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("example.com/anything:1", "example.com/app:any", true)]
    [InlineData("example.com/app:1", "example.com/app2:1", false)]
    public void ExactRepository(string image, string signed, bool accepted)
    {
        var rule = new SignedIdentityRule { Kind = SignedIdentityKind.ExactRepository, DockerRepository = "example.com/app" };
        var result = Check(rule, image, signed);
        Assert.Equal(accepted, result is null);
        if (!accepted)
        {
            Assert.StartsWith("identity mismatch (signedIdentity exactRepository)", result, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("mirror.local/team/app:1", "quay.io/team/app:1", true)]
    [InlineData("mirror.local/team/app:1", "quay.io/team/app:2", false)]
    [InlineData("mirror.local/teamother/app:1", "quay.io/team/app:1", false)]
    [InlineData("quay.io/team/app:1", "quay.io/team/app:1", true)]
    public void RemapIdentity(string image, string signed, bool accepted)
    {
        var rule = new SignedIdentityRule { Kind = SignedIdentityKind.RemapIdentity, Prefix = "mirror.local/team", SignedPrefix = "quay.io/team" };
        var result = Check(rule, image, signed);
        Assert.Equal(accepted, result is null);
        if (!accepted)
        {
            Assert.StartsWith("identity mismatch (signedIdentity remapIdentity", result, StringComparison.Ordinal);
        }
    }
}
