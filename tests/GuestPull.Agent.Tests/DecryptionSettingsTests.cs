using GuestPull.Agent.Configuration;

namespace GuestPull.Agent.Tests;

/// <summary>The agent's keys for encrypted images in its TOML file.</summary>
public sealed class DecryptionSettingsTests
{
    [Fact]
    public void KeysAndTheProviderConfigAreRead()
    {
        var settings = AgentConfigParser.Parse("""
            decryption_keys = ["/etc/agent/key.pem", "/etc/agent/ec.pem:pass=a:b"]
            ocicrypt_keyprovider_config = "/etc/agent/ocicrypt.json"
            """, "agent.toml");

        Assert.Equal(["/etc/agent/key.pem", "/etc/agent/ec.pem:pass=a:b"], settings.DecryptionKeys);
        Assert.Equal("/etc/agent/ocicrypt.json", settings.KeyProviderConfig);
        Assert.Empty(settings.Warnings);
    }

    [Fact]
    public void ARelativeKeyPathIsRefusedNamingTheKey()
    {
        var error = Assert.Throws<AgentConfigurationException>(() => AgentConfigParser.Parse("decryption_keys = [\"key.pem\"]\n", "agent.toml"));
        Assert.Contains("decryption_keys", error.Message, StringComparison.Ordinal);
    }
}
