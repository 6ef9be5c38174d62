using System.Text;
using GuestPull.Oci.Registry.Auth;

namespace GuestPull.Oci.Tests.Registry.Auth;

public sealed class BearerTokenResponseTests
{
    private static readonly DateTimeOffset Now = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private static BearerToken Parse(string json) => BearerTokenResponse.Parse(Encoding.UTF8.GetBytes(json), Now);

    [Theory]
    [InlineData("""{"token": "t1", "access_token": "a1"}""", "t1")]
    [InlineData("""{"access_token": "a1", "token": "t1"}""", "t1")]
    [InlineData("""{"access_token": "a1"}""", "a1")]
    [InlineData("""{"token": "", "access_token": "a1"}""", "a1")]
    [InlineData("""{"token": null, "access_token": "a1", "refresh_token": "r", "extra": {"nested": [1, 2]}}""", "a1")]
    public void TokenIsPreferredOverAccessToken(string json, string expected)
    {
        Assert.Equal(expected, Parse(json).Token);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'{', (byte)'"', (byte)'t', (byte)'o', (byte)'k', (byte)'e', (byte)'n', (byte)'"', (byte)':', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)'}' })]
    [InlineData(new byte[] { (byte)'{', (byte)'"', (byte)'t', (byte)'o', (byte)'k', (byte)'e', (byte)'n', (byte)'"', (byte)':', (byte)'"', (byte)'\\', (byte)'u', (byte)'d', (byte)'8', (byte)'0', (byte)'0', (byte)'"', (byte)'}' })]
    public void AStringWithNoTextFormIsAFormatException(byte[] json)
    {
        Assert.Throws<FormatException>(() => BearerTokenResponse.Parse(json, Now));
    }

    [Theory]
    [InlineData("""{"token": "t"}""", 60)]
    [InlineData("""{"token": "t", "expires_in": null}""", 60)]
    [InlineData("""{"token": "t", "expires_in": 0}""", 60)]
    [InlineData("""{"token": "t", "expires_in": 30}""", 60)]
    [InlineData("""{"token": "t", "expires_in": -5}""", 60)]
    [InlineData("""{"token": "t", "expires_in": 300}""", 300)]
    [InlineData("""{"token": "t", "expires_in": 120.9}""", 120)]
    [InlineData("""{"token": "t", "expires_in": 99999999999999999999999}""", 86400)]
    [InlineData("""{"token": "t", "expires_in": 1e308}""", 86400)]
    public void ExpiresInDefaultsToAndIsAtLeastSixtySeconds(string json, int seconds)
    {
        Assert.Equal(Now.AddSeconds(seconds), Parse(json).ExpiresAt);
    }

    [Theory]
    [InlineData("2024-05-01T11:59:00Z", "2024-05-01T12:04:00Z")]
    [InlineData("2024-05-01T11:59:00.123456789Z", "2024-05-01T12:04:00.1234567Z")]
    [InlineData("2024-05-01t13:59:00+02:00", "2024-05-01T12:04:00Z")]
    [InlineData("2024-05-01T13:00:00Z", "2024-05-01T12:05:00Z")]
    public void IssuedAtIsTheBaseUnlessItIsInTheFuture(string issuedAt, string expected)
    {
        var token = Parse($$"""{"token": "t", "expires_in": 300, "issued_at": "{{issuedAt}}"}""");

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), token.ExpiresAt);
    }

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{\"token\": ", "not valid JSON")]
    [InlineData("{\"token\": \"t\"} {}", "not valid JSON")]
    [InlineData("{}", "neither 'token' nor 'access_token'")]
    [InlineData("{\"token\": \"\"}", "neither 'token' nor 'access_token'")]
    [InlineData("{\"token\": 5}", "'token' must be a string")]
    [InlineData("{\"access_token\": {}}", "'access_token' must be a string")]
    [InlineData("{\"token\": \"t\", \"expires_in\": \"300\"}", "'expires_in' must be a number")]
    [InlineData("{\"token\": \"t\", \"issued_at\": 5}", "'issued_at' must be a string")]
    [InlineData("{\"token\": \"t\", \"issued_at\": \"yesterday\"}", "'issued_at' is not an RFC 3339 timestamp")]
    [InlineData("{\"token\": \"t\", \"issued_at\": \"2024-13-01T00:00:00Z\"}", "'issued_at' is not an RFC 3339 timestamp")]
    [InlineData("{\"token\": \"t\", \"issued_at\": \"2024-05-01 12:00:00\"}", "'issued_at' is not an RFC 3339 timestamp")]
    public void MalformedResponsesAreRejected(string json, string reason)
    {
        var ex = Assert.Throws<FormatException>(() => Parse(json));

        Assert.Contains(reason, ex.Message);
    }

    [Theory]
    [InlineData("secret\r\nX-Evil: 1")]
    [InlineData("secret value")]
    [InlineData("secr\u00e9t")]
    public void TokensThatCannotBeAHeaderValueAreRejectedWithoutEchoingThem(string token)
    {
        var json = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["token"] = token });

        var ex = Assert.Throws<FormatException>(() => Parse(json));

        Assert.DoesNotContain("secret", ex.Message);
        Assert.DoesNotContain("secr", ex.Message);
    }

    [Fact]
    public void DeeplyNestedIgnoredFieldsAreRejected()
    {
        var json = "{\"token\": \"t\", \"x\": " + new string('[', 1000) + new string(']', 1000) + "}";

        Assert.Throws<FormatException>(() => Parse(json));
    }

    [Fact]
    public void ToStringHidesTheToken()
    {
        Assert.DoesNotContain("abc123", new BearerToken("abc123", Now).ToString());
    }
}
