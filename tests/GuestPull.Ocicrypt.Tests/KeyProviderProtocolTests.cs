using System.Text;
using System.Text.Json;
using GuestPull.Ocicrypt.KeyProviders;

namespace GuestPull.Ocicrypt.Tests;

/// <summary>The keyprovider protocol's unwrap documents and ocicrypt's key provider config file.</summary>
public sealed class KeyProviderProtocolTests
{
    [Fact]
    public void TheUnwrapRequestCarriesTheAnnotationAsStandardBase64()
    {
        using var request = JsonDocument.Parse(KeyProviderProtocol.UnwrapRequest([0xfb, 0xff, 0x01]));

        Assert.Equal("keyunwrap", request.RootElement.GetProperty("op").GetString());
        var parameters = request.RootElement.GetProperty("keyunwrapparams");
        Assert.Equal("+/8B", parameters.GetProperty("annotation").GetString());
        Assert.Equal(JsonValueKind.Object, parameters.GetProperty("dc").GetProperty("Parameters").ValueKind);
    }

    [Fact]
    public void TheReplysOptionsAreDecoded()
    {
        Assert.Equal("{}"u8.ToArray(), KeyProviderProtocol.ParseUnwrapReply("""{"keyunwrapresults":{"optsdata":"e30="}}"""u8));
        Assert.Contains("no keyunwrapresults.optsdata", Assert.Throws<FormatException>(() => KeyProviderProtocol.ParseUnwrapReply("""{"keywrapresults":{}}"""u8)).Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => KeyProviderProtocol.ParseUnwrapReply("not json"u8));
    }

    [Fact]
    public void TheConfigNamesCommandAndGrpcProviders()
    {
        var config = KeyProviderConfig.Parse(Encoding.UTF8.GetBytes("""{"key-providers":{"attestation-agent":{"grpc":"127.0.0.1:50000"},"local":{"cmd":{"path":"/usr/bin/kp","args":["-v"]}}}}"""), "kp.json");

        Assert.Equal("127.0.0.1:50000", config.Providers["attestation-agent"].GrpcAddress);
        Assert.Equal("/usr/bin/kp", config.Providers["local"].CommandPath);
        Assert.Equal(["-v"], config.Providers["local"].CommandArguments);
    }

    [Theory]
    [InlineData("""{"key-providers":{"x":{}}}""", "neither cmd nor grpc")]
    [InlineData("""{"key-providers":{"x":{"grpc":"h:1","grpc-tls":{"root-ca-file":"ca"}}}}""", "grpc-tls")]
    [InlineData("""{"key-providers":{"x":{"cmd":{}}}}""", "no path")]
    [InlineData("""[]""", "not a JSON object")]
    public void BadConfigsAreRefusedNamingTheFile(string json, string expected)
    {
        var error = Assert.Throws<FormatException>(() => KeyProviderConfig.Parse(Encoding.UTF8.GetBytes(json), "kp.json"));
        Assert.Contains("kp.json", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
