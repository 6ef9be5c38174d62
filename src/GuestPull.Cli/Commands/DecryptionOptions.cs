using System.CommandLine;
using GuestPull.Ocicrypt;
using GuestPull.Ocicrypt.KeyProviders;
using GuestPull.Ocicrypt.Keys;
using Microsoft.Extensions.Logging;

namespace GuestPull.Cli.Commands;

/// <summary>
/// <c>--decryption-key FILE[:PASSWORD]</c> (skopeo's flag, repeatable) and the ocicrypt key provider config
/// named by <c>OCICRYPT_KEYPROVIDER_CONFIG</c>: what unwraps encrypted layers' keys.
/// </summary>
internal sealed class DecryptionOptions
{
    private readonly Option<string[]> _keys = new("--decryption-key")
    {
        Description = "a JWE private key (PEM or JWK, RSA or EC) for encrypted layers; FILE:PASSWORD for an encrypted one (repeatable); key providers come from $OCICRYPT_KEYPROVIDER_CONFIG",
        HelpName = "FILE[:PASSWORD]",
        AllowMultipleArgumentsPerToken = false,
    };

    public void AddTo(Command command) => command.Add(_keys);

    /// <summary>Loads the keys and the provider config; the caller disposes the keys.</summary>
    public (LayerKeyUnwrapper Unwrapper, IReadOnlyList<DecryptionKey> Keys) Load(ParseResult result, ILogger logger)
    {
        var keys = new List<DecryptionKey>();
        try
        {
            foreach (var spec in result.GetValue(_keys) ?? [])
            {
                keys.Add(DecryptionKeyLoader.Load(spec));
            }

            return (new LayerKeyUnwrapper(keys, KeyProviderConfig.FromEnvironment(), logger: logger), keys);
        }
        catch
        {
            keys.ForEach(k => k.Dispose());
            throw;
        }
    }
}
