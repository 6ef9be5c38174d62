using GuestPull.Agent.ConfidentialDataHub;
using GuestPull.Oci.Registry.Configuration;
using GuestPull.Testing;

namespace GuestPull.Agent.Tests.ConfidentialDataHub;

public sealed class CdhConfigParserTests
{
    private static string Error(string toml) =>
        Assert.Throws<AgentConfigurationException>(() => CdhConfigParser.Parse(toml, "cdh.toml")).Message;

    [Fact]
    public void EveryImageKey_IsRead_UnderImageRsNames()
    {
        var settings = CdhConfigParser.Parse("""
            socket = "unix:///run/confidential-containers/cdh.sock"

            [image]
            work_dir = "/run/image-work/"
            max_concurrent_layer_downloads_per_image = 5
            image_security_policy_uri = "file:///etc/image-policy.json"
            sigstore_config_uri = "file:///etc/containers/registries.d/default.yaml"
            authenticated_registry_credentials_uri = "file:///etc/containers/auth%20file.json"
            registry_configuration_uri = "file:///etc/containers/registries.conf"
            extra_root_certificates = ["-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"]

            [image.image_pull_proxy]
            https_proxy = "http://proxy.local:3128"
            http_proxy = "http://proxy.local:3129"
            no_proxy = "10.0.0.0/8,.svc"
            """, "cdh.toml");

        Assert.Equal("unix:///run/confidential-containers/cdh.sock", settings.Socket);
        var image = settings.Image;
        Assert.Equal("cdh.toml [image]", image.Source);
        Assert.Equal("/run/image-work", image.WorkDir);
        Assert.Equal(5, image.MaxConcurrentLayerDownloads);
        Assert.Equal("/etc/image-policy.json", image.PolicyFile);
        Assert.Equal("/etc/containers/registries.d/default.yaml", image.SigstoreConfigFile);
        Assert.Equal("/etc/containers/auth file.json", image.CredentialsFile);
        Assert.Equal("/etc/containers/registries.conf", image.RegistriesFile);
        Assert.Equal("http://proxy.local:3128", image.HttpsProxy);
        Assert.Equal("http://proxy.local:3129", image.HttpProxy);
        Assert.Equal("10.0.0.0/8,.svc", image.NoProxy);
        Assert.Single(image.ExtraRootCertificates);
        Assert.Empty(image.Unserved);
        Assert.Empty(settings.Warnings);
    }

    [Fact]
    public void Defaults_AreImageRsAndKataDefaults()
    {
        var settings = CdhConfigParser.Parse("[image]\n", "cdh.toml");

        Assert.Equal("unix:///run/confidential-containers/cdh.sock", settings.Socket);
        Assert.Equal("/run/kata-containers/image", settings.Image.WorkDir);
        Assert.Equal(3, settings.Image.MaxConcurrentLayerDownloads);
        Assert.Null(settings.Image.PolicyFile);
        Assert.Null(settings.Image.CredentialsFile);
        Assert.Null(settings.Image.RegistriesFile);
    }

    [Fact]
    public void InlineRegistryConfig_ReachesTheRegistriesParser()
    {
        var settings = CdhConfigParser.Parse("""
            [image.registry_config]
            unqualified-search-registries = ["docker.io"]

            [[image.registry_config.registry]]
            prefix = "example.com/foo"
            location = "internal.example.com/bar"
            insecure = true

            [[image.registry_config.registry.mirror]]
            location = "mirror.example.com/foo"

            [[image.registry_config.registry]]
            location = "blocked.example.com"
            blocked = true
            """, "cdh.toml");

        var registries = RegistriesConfiguration.Parse(Assert.IsType<string>(settings.Image.RegistriesText), "inline");
        Assert.Equal(["docker.io"], registries.UnqualifiedSearchRegistries);
        var resolution = registries.Resolve("example.com", "foo/app", byDigest: false);
        Assert.Contains(resolution.Endpoints, e => e.Host == "mirror.example.com");
        Assert.Contains(resolution.Endpoints, e => e.Host == "internal.example.com" && e.Insecure);
        Assert.Throws<RegistryBlockedException>(() => registries.Resolve("blocked.example.com", "x", byDigest: false));
    }

    [Fact]
    public void CdhSectionsForSecretsAndKeyBrokers_AreAccepted_AndReportedAsNotServed()
    {
        var settings = CdhConfigParser.Parse("""
            socket = "unix:///run/confidential-containers/cdh.sock"

            [kbc]
            name = "cc_kbc"
            url = "http://kbs.local:8080"

            [[credentials]]
            path = "/run/secret"
            resource_uri = "kbs:///default/secret/1"

            [image]
            sigstore_config = "default-docker: {}"
            """, "cdh.toml");

        Assert.Equal(3, settings.Warnings.Count);
        Assert.Contains(settings.Warnings, w => w.Contains("kbc: accepted, not served", StringComparison.Ordinal));
        Assert.Contains(settings.Warnings, w => w.Contains("credentials: accepted, not served", StringComparison.Ordinal));
        Assert.Contains(settings.Warnings, w => w.Contains("[image] sigstore_config: not served", StringComparison.Ordinal));
    }

    [Fact]
    public void KbsUris_AreRecordedAsUnserved_NotSilentlyDropped()
    {
        var settings = CdhConfigParser.Parse("""
            [image]
            image_security_policy_uri = "kbs:///default/security-policy/test"
            authenticated_registry_credentials_uri = "file:///etc/auth.json"
            """, "cdh.toml");

        var unserved = Assert.Single(settings.Image.Unserved);
        Assert.Contains("image_security_policy_uri", unserved, StringComparison.Ordinal);
        Assert.Contains("kbs:///default/security-policy/test", unserved, StringComparison.Ordinal);
        Assert.Null(settings.Image.PolicyFile);
        Assert.Equal("/etc/auth.json", settings.Image.CredentialsFile);
    }

    [Theory]
    [InlineData("socket = \"/run/cdh.sock\"", "socket")]
    [InlineData("socket = \"tcp://127.0.0.1:8043\"", "unix:///PATH")]
    [InlineData("[image]\nwork_dir = \"relative\"", "[image] work_dir")]
    [InlineData("[image]\nmax_concurrent_layer_downloads_per_image = 0", "max_concurrent_layer_downloads_per_image")]
    [InlineData("[image]\nimage_security_policy_uri = \"https://example.com/policy.json\"", "not a file:///PATH or kbs:///PATH URI")]
    [InlineData("[image]\nregistry_configuration_uri = \"file://etc/registries.conf\"", "registry_configuration_uri")]
    [InlineData("[image]\nauthenticated_registry_credentials_uri = \"file:///etc/../root/auth.json\"", "without '..'")]
    [InlineData("[image]\nextra_root_certificates = [\"not a certificate\"]", "PEM certificates")]
    [InlineData("[image]\nregistry_config = \"unqualified-search-registries = []\"", "[image] registry_config")]
    [InlineData("[image]\nwork_dir = \"/a\"\nwork_dir = \"/b\"", "work_dir")]
    public void BadValues_AreRefused_NamingTheKey(string toml, string expected)
    {
        Assert.Contains(expected, Error(toml), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutAnImageSection_TheKernelCommandLineIsRead()
    {
        using var directory = TempDirectory.Create("cdh-config");
        var config = directory.Combine("cdh.toml");
        var cmdline = directory.Combine("cmdline");
        await File.WriteAllTextAsync(config, "socket = \"unix:///run/cdh.sock\"\n[kbc]\nname = \"offline_fs_kbc\"\n");
        await File.WriteAllTextAsync(cmdline, "console=hvc0 agent.image_registry_auth=file:///run/auth.json quiet\n");

        var settings = await CdhConfigParser.LoadAsync(config, cmdline, CancellationToken.None);

        Assert.Equal("/run/auth.json", settings.Image.CredentialsFile);
        Assert.StartsWith("kernel command line", settings.Image.Source, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithAnImageSection_TheKernelCommandLineIsIgnored()
    {
        using var directory = TempDirectory.Create("cdh-config");
        var config = directory.Combine("cdh.toml");
        var cmdline = directory.Combine("cmdline");
        await File.WriteAllTextAsync(config, "[image]\nwork_dir = \"/run/w\"\n");
        await File.WriteAllTextAsync(cmdline, "agent.image_registry_auth=file:///run/auth.json\n");

        var settings = await CdhConfigParser.LoadAsync(config, cmdline, CancellationToken.None);

        Assert.Null(settings.Image.CredentialsFile);
        Assert.Equal("/run/w", settings.Image.WorkDir);
    }

    [Fact]
    public async Task AMissingConfigFile_IsRefused_NamingIt()
    {
        var missing = "/nonexistent/cdh-" + Guid.NewGuid().ToString("N") + ".toml";
        var error = await Assert.ThrowsAsync<AgentConfigurationException>(() => CdhConfigParser.LoadAsync(missing, "/nonexistent/cmdline", CancellationToken.None));
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }
}
