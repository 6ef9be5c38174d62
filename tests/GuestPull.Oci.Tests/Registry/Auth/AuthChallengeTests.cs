using GuestPull.Oci.Registry.Auth;

namespace GuestPull.Oci.Tests.Registry.Auth;

public sealed class AuthChallengeTests
{
    [Fact]
    public void BearerChallengeExposesRealmServiceAndScopeWithCommasInQuotes()
    {
        var challenge = Assert.Single(AuthChallenge.Parse(
            "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull,push\""));

        Assert.True(challenge.IsScheme("bearer"));
        Assert.Equal("https://auth.docker.io/token", challenge.Realm);
        Assert.Equal("registry.docker.io", challenge.Service);
        Assert.Equal("repository:library/busybox:pull,push", challenge.Scope);
        Assert.Null(challenge.Token68);
    }

    [Fact]
    public void SeveralChallengesInOneHeader()
    {
        var challenges = AuthChallenge.Parse("Basic realm=\"Registry\", Bearer realm=\"https://a/t\", service=reg, Negotiate");

        Assert.Equal(["Basic", "Bearer", "Negotiate"], challenges.Select(c => c.Scheme));
        Assert.Equal("Registry", challenges[0].Realm);
        Assert.Equal("reg", challenges[1].Service);
        Assert.Empty(challenges[2].Parameters);
    }

    [Fact]
    public void SchemeAndParameterNamesIgnoreCase()
    {
        var challenge = Assert.Single(AuthChallenge.Parse("bEaReR REALM=\"x\", Service=\"y\""));

        Assert.True(challenge.IsScheme("Bearer"));
        Assert.Equal("bEaReR", challenge.Scheme);
        Assert.Equal("x", challenge.Realm);
        Assert.Equal("y", challenge.Parameters["SERVICE"]);
    }

    [Fact]
    public void QuotedPairsAreUnescaped()
    {
        var challenge = Assert.Single(AuthChallenge.Parse("Bearer realm=\"a\\\"b\\\\c\\d, e\""));

        Assert.Equal("a\"b\\cd, e", challenge.Realm);
    }

    [Theory]
    [InlineData("Negotiate abc+/==", "Negotiate", "abc+/==")]
    [InlineData("Bearer realm", "Bearer", "realm")]
    [InlineData("Negotiate   YII~x.y_z-1  ", "Negotiate", "YII~x.y_z-1")]
    public void Token68IsRecognised(string header, string scheme, string token68)
    {
        var challenge = Assert.Single(AuthChallenge.Parse(header));

        Assert.Equal(scheme, challenge.Scheme);
        Assert.Equal(token68, challenge.Token68);
        Assert.Empty(challenge.Parameters);
    }

    [Fact]
    public void Token68FollowedByAnotherChallenge()
    {
        var challenges = AuthChallenge.Parse("Negotiate abc=, Basic realm=x");

        Assert.Equal("abc=", challenges[0].Token68);
        Assert.Equal("x", challenges[1].Realm);
    }

    [Fact]
    public void WhitespaceAroundEqualsAndEmptyListElementsAreAllowed()
    {
        var challenges = AuthChallenge.Parse(" , ,Bearer realm = \"r\" ,, service=s ,\tBasic ,");

        Assert.Equal(2, challenges.Count);
        Assert.Equal("r", challenges[0].Realm);
        Assert.Equal("s", challenges[0].Service);
        Assert.True(challenges[1].IsScheme("basic"));
    }

    [Fact]
    public void EmptyQuotedValueIsKept()
    {
        Assert.Equal(string.Empty, Assert.Single(AuthChallenge.Parse("Bearer realm=\"\"")).Realm);
    }

    [Theory]
    [InlineData("", "holds no challenge")]
    [InlineData("  ,  ", "holds no challenge")]
    [InlineData("Bearer realm=\"unterminated", "unterminated quoted string")]
    [InlineData("Bearer realm=\"ends with backslash\\", "unterminated quoted string")]
    [InlineData("Bearer realm service=x", "expected '=' after parameter 'realm'")]
    [InlineData("Bearer service=x, realm=", "expected a value for parameter 'realm'")]
    [InlineData("Bearer realm=\"a\"junk", "expected ',' after parameter 'realm'")]
    [InlineData("Bearer realm=a realm=b", "expected ',' after parameter 'realm'")]
    [InlineData("Bearer realm=\"a\", REALM=\"b\"", "parameter 'REALM' appears twice")]
    [InlineData("Bearer realm=\"a\nb\"", "control character U+000A")]
    [InlineData("realm=\"x\"", "expected a space after scheme 'realm'")]
    [InlineData("=x", "expected an authentication scheme")]
    [InlineData("Bearer realm=https://x/token", "expected ',' after parameter 'realm'")]
    [InlineData("Bearer \"quoted\"", "expected a parameter name")]
    public void MalformedHeadersAreRejectedWithTheHeaderQuoted(string header, string reason)
    {
        var ex = Assert.Throws<FormatException>(() => AuthChallenge.Parse(header));

        Assert.Contains($"\"{header.Replace('\n', '?')}\"", ex.Message);
        Assert.Contains(reason, ex.Message);
    }

    [Fact]
    public void HugeHeaderIsTruncatedInTheMessage()
    {
        var header = "Bearer realm=\"" + new string('a', 100_000);

        var ex = Assert.Throws<FormatException>(() => AuthChallenge.Parse(header));

        Assert.True(ex.Message.Length < 1000, ex.Message);
        Assert.Contains("unterminated quoted string", ex.Message);
    }
}
