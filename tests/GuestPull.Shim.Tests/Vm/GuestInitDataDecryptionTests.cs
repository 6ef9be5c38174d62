using GuestPull.Shim.Configuration;
using GuestPull.Shim.Vm;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Shim.Tests.Vm;

/// <summary>The agent's decryption keys and key provider config travel to the guest in its initdata, the keys as secrets.</summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class GuestInitDataDecryptionTests
{
    [Fact]
    public async Task KeysAreCopiedAsSecretsAndKeepTheirPasswords()
    {
        using var host = TempDirectory.Create("initdata-keys");
        var first = host.Combine("a", "key.pem");
        var second = host.Combine("b", "key.pem");
        Directory.CreateDirectory(Path.GetDirectoryName(first)!);
        Directory.CreateDirectory(Path.GetDirectoryName(second)!);
        await File.WriteAllTextAsync(first, "FIRST");
        await File.WriteAllTextAsync(second, "SECOND");
        var providers = host.Combine("ocicrypt.json");
        await File.WriteAllTextAsync(providers, "{\"key-providers\":{}}");
        var config = ShimConfigParser.Parse($"""
            [agent]
            decryption_keys = ["{first}", "{second}:pass=pw"]
            ocicrypt_keyprovider_config = "{providers}"
            """, "test");

        using var files = TempDirectory.Create("initdata-keys-guest");
        await ProcessRunner.RunAsync("cpio", ["-idm", "--quiet", "--no-absolute-filenames", "-D", files.Path], new ProcessRunOptions { StandardInput = GuestInitData.Build(config, hostNetwork: false, []) });

        var agentToml = await File.ReadAllTextAsync(files.Combine("etc/guestpull/agent.toml"));
        Assert.Contains("decryption_keys = [\"/etc/guestpull/initdata/decryption_keys/0/key.pem\", \"/etc/guestpull/initdata/decryption_keys/1/key.pem:pass=pw\"]", agentToml, StringComparison.Ordinal);
        Assert.Contains("ocicrypt_keyprovider_config = \"/etc/guestpull/initdata/ocicrypt_keyprovider_config/ocicrypt.json\"", agentToml, StringComparison.Ordinal);
        Assert.Equal("FIRST", await File.ReadAllTextAsync(files.Combine("etc/guestpull/initdata/decryption_keys/0/key.pem")));
        Assert.Equal("SECOND", await File.ReadAllTextAsync(files.Combine("etc/guestpull/initdata/decryption_keys/1/key.pem")));
        Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(files.Combine("etc/guestpull/initdata/decryption_keys/1/key.pem")));
        Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(files.Combine("etc/guestpull/agent.toml")));
    }
}
