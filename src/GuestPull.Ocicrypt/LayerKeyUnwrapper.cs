using System.Text;
using GuestPull.Oci.Model;
using GuestPull.Ocicrypt.Cipher;
using GuestPull.Ocicrypt.Jwe;
using GuestPull.Ocicrypt.KeyProviders;
using GuestPull.Ocicrypt.Keys;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestPull.Ocicrypt;

/// <summary>
/// Unwraps encrypted layers' keys with what the node holds: JWE private keys and ocicrypt key providers.
/// The wrapped-key annotations are tried in the descriptor's order, and within one annotation its entries
/// in order, as ocicrypt does; the first that yields private options wins.
/// </summary>
public sealed class LayerKeyUnwrapper
{
    private readonly IReadOnlyList<DecryptionKey> _keys;
    private readonly KeyProviderConfig? _providers;
    private readonly KeyProviderClient _client;
    private readonly ILogger _logger;

    /// <summary>Creates an unwrapper.</summary>
    /// <param name="keys">JWE private keys (the caller keeps ownership).</param>
    /// <param name="providers">The key provider configuration, or null for none.</param>
    /// <param name="client">Calls providers; a default one when null.</param>
    /// <param name="logger">Receives which key unwrapped each layer.</param>
    public LayerKeyUnwrapper(IReadOnlyList<DecryptionKey> keys, KeyProviderConfig? providers, KeyProviderClient? client = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = keys;
        _providers = providers;
        _client = client ?? new KeyProviderClient();
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Whether any key or provider is configured.</summary>
    public bool HasKeys => _keys.Count > 0 || _providers?.Providers.Count > 0;

    /// <summary>Unwraps the key of the encrypted layer <paramref name="layer"/>.</summary>
    /// <param name="layer">The layer's descriptor.</param>
    /// <param name="cancellationToken">Cancels provider calls.</param>
    /// <exception cref="LayerKeyUnavailableException">Nothing given could unwrap it.</exception>
    /// <exception cref="LayerDecryptionException">The annotations or the unwrapped options are malformed.</exception>
    public async Task<UnwrappedLayerKey> UnwrapAsync(Descriptor layer, CancellationToken cancellationToken)
    {
        var info = LayerEncryptionInfo.Parse(layer);
        var attempts = new List<string>();
        foreach (var group in info.KeyGroups)
        {
            foreach (var entry in group.Entries)
            {
                var unwrapped = await TryUnwrapAsync(group, entry, attempts, cancellationToken).ConfigureAwait(false);
                if (unwrapped is { } found)
                {
                    var options = LayerCipherOptions.Parse(found.Options, info.PublicOptions ?? "{}"u8.ToArray());
                    _logger.LogDebug("layer {Digest}: key unwrapped by {Source}", layer.Digest, found.Source);
                    return new UnwrappedLayerKey(options, found.Source);
                }
            }
        }

        throw new LayerKeyUnavailableException(layer.Digest.ToString(), info.DescribeRecipients(), attempts.Distinct().ToList());
    }

    private async Task<(byte[] Options, string Source)?> TryUnwrapAsync(WrappedKeyGroup group, byte[] entry, List<string> attempts, CancellationToken cancellationToken)
    {
        if (group.Scheme == "jwe")
        {
            if (_keys.Count == 0)
            {
                return null;
            }

            JweMessage message;
            try
            {
                message = JweMessage.Parse(entry);
            }
            catch (FormatException e)
            {
                attempts.Add("jwe: " + e.Message);
                return null;
            }

            var failures = new List<string>();
            if (JweDecryptor.TryDecrypt(message, _keys, failures) is { } opened)
            {
                return (opened.Plaintext, "key " + opened.Key.Source);
            }

            attempts.AddRange(_keys.Select(k => $"key {k} (fits no recipient)"));
            return null;
        }

        if (group.ProviderName is { } name)
        {
            if (_providers is null || !_providers.Providers.TryGetValue(name, out var provider))
            {
                attempts.Add($"provider {name}: not in the key provider config ({KeyProviderConfig.EnvironmentVariable})");
                return null;
            }

            try
            {
                return (await _client.UnwrapAsync(provider, entry, cancellationToken).ConfigureAwait(false), provider.ToString());
            }
            catch (KeyProviderException e)
            {
                attempts.Add(e.Message);
                return null;
            }
        }

        attempts.Add($"{group.Scheme}: key wrapper not supported");
        return null;
    }

    /// <summary>Describes the configured keys and providers, for messages.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendJoin(", ", _keys.Select(k => k.ToString()));
        if (_providers is not null)
        {
            text.Append(text.Length > 0 ? ", " : string.Empty).AppendJoin(", ", _providers.Providers.Values.Select(p => p.ToString()));
        }

        return text.ToString();
    }
}
