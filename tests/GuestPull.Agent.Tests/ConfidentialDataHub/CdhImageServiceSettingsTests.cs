using GuestPull.Agent.ConfidentialDataHub;
using GuestPull.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestPull.Agent.Tests.ConfidentialDataHub;

/// The files cdh.toml's [image] names are read when the service starts: a missing or malformed one stops
/// it with a message naming the image-rs key and the file, before anything listens.
public sealed class CdhImageServiceSettingsTests
{
    private static async Task<string> StartErrorAsync(Func<TempDirectory, CdhImageSettings> settings)
    {
        using var directory = TempDirectory.Create("cdh-settings");
        var error = await Assert.ThrowsAsync<AgentConfigurationException>(
            async () => await (await CdhImageService.CreateAsync(settings(directory) with { WorkDir = directory.Combine("work") }, NullLoggerFactory.Instance, CancellationToken.None)).DisposeAsync());
        return error.Message;
    }

    [Fact]
    public async Task AMissingCredentialsFile_NamesTheKey()
    {
        var message = await StartErrorAsync(d => new CdhImageSettings { CredentialsFile = d.Combine("missing-auth.json") });

        Assert.Contains("authenticated_registry_credentials_uri", message, StringComparison.Ordinal);
        Assert.Contains("missing-auth.json", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMalformedRegistriesFile_NamesTheKey()
    {
        var message = await StartErrorAsync(d =>
        {
            File.WriteAllText(d.Combine("registries.conf"), "[[registry]]\nblocked = true\n");
            return new CdhImageSettings { RegistriesFile = d.Combine("registries.conf") };
        });

        Assert.Contains("registry_configuration_uri", message, StringComparison.Ordinal);
        Assert.Contains("registries.conf", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMalformedPolicy_NamesTheKey()
    {
        var message = await StartErrorAsync(d =>
        {
            File.WriteAllText(d.Combine("policy.json"), "{\"default\": [{\"type\": \"trustEveryone\"}]}");
            return new CdhImageSettings { PolicyFile = d.Combine("policy.json") };
        });

        Assert.Contains("image_security_policy_uri", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnreadableExtraRootCertificate_NamesTheKey()
    {
        var message = await StartErrorAsync(_ => new CdhImageSettings { ExtraRootCertificates = ["-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----"] });

        Assert.Contains("extra_root_certificates", message, StringComparison.Ordinal);
    }
}
