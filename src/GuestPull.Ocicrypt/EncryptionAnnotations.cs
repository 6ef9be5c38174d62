namespace GuestPull.Ocicrypt;

/// <summary>The descriptor annotations ocicrypt writes on an encrypted layer.</summary>
public static class EncryptionAnnotations
{
    /// <summary>The prefix of every ocicrypt annotation.</summary>
    public const string Prefix = "org.opencontainers.image.enc.";

    /// <summary>The prefix of the wrapped-key annotations; the rest names the key wrapper.</summary>
    public const string KeysPrefix = Prefix + "keys.";

    /// <summary>Keys wrapped as JWE documents for private-key recipients.</summary>
    public const string Jwe = KeysPrefix + "jwe";

    /// <summary>Keys wrapped by a key provider; the provider's name follows.</summary>
    public const string ProviderPrefix = KeysPrefix + "provider.";

    /// <summary>Keys wrapped as PKCS#7 envelopes for certificate recipients.</summary>
    public const string Pkcs7 = KeysPrefix + "pkcs7";

    /// <summary>The public block cipher options (cipher name, HMAC), base64 JSON.</summary>
    public const string PublicOptions = Prefix + "pubopts";
}
