using GuestPull.Agent.Configuration;
using GuestPull.Ocicrypt;
using GuestPull.Ocicrypt.KeyProviders;
using GuestPull.Ocicrypt.Keys;
using Microsoft.Extensions.Logging;

namespace GuestPull.Agent.Storage;

/// <summary>
/// The agent's keys for encrypted layers: <c>decryption_keys</c> (JWE private keys, loaded once at start so a
/// bad key or password stops the agent with the key named) and the ocicrypt key provider config
/// (<c>ocicrypt_keyprovider_config</c>, else <c>$OCICRYPT_KEYPROVIDER_CONFIG</c>, the file Kata points CDH at).
/// </summary>
internal sealed class LayerDecryption : IDisposable
{
    private readonly IReadOnlyList<DecryptionKey> _keys;

    private LayerDecryption(IReadOnlyList<DecryptionKey> keys, LayerKeyUnwrapper unwrapper)
    {
        _keys = keys;
        Unwrapper = unwrapper;
    }

    public LayerKeyUnwrapper Unwrapper { get; }

    public static LayerDecryption Load(AgentSettings settings, ILoggerFactory logging) =>
        Load(settings.DecryptionKeys, settings.KeyProviderConfig, logging);

    /// <summary>
    /// Loads <paramref name="keySpecs"/> (<c>FILE[:password]</c>) and the key provider config at
    /// <paramref name="keyProviderConfig"/>, else <c>$OCICRYPT_KEYPROVIDER_CONFIG</c>'s (the confidential-data-hub
    /// has only the latter).
    /// </summary>
    public static LayerDecryption Load(IEnumerable<string> keySpecs, string? keyProviderConfig, ILoggerFactory logging)
    {
        var keys = new List<DecryptionKey>();
        try
        {
            foreach (var spec in keySpecs)
            {
                keys.Add(DecryptionKeyLoader.Load(spec));
            }

            var providers = keyProviderConfig is { } path ? KeyProviderConfig.Load(path) : KeyProviderConfig.FromEnvironment();
            return new LayerDecryption(keys, new LayerKeyUnwrapper(keys, providers, logger: logging.CreateLogger<LayerKeyUnwrapper>()));
        }
        catch (Exception ex) when (ex is KeyLoadException or FormatException)
        {
            keys.ForEach(k => k.Dispose());
            throw new AgentConfigurationException($"'decryption_keys' / 'ocicrypt_keyprovider_config': {ex.Message}", ex);
        }
    }

    public void Dispose()
    {
        foreach (var key in _keys)
        {
            key.Dispose();
        }
    }
}
