using System.Security.Cryptography;

namespace GuestPull.Ocicrypt.Keys;

/// <summary>A private key that can unwrap JWE recipients: RSA (RSA-OAEP) or EC (ECDH-ES key agreement).</summary>
public sealed class DecryptionKey : IDisposable
{
    private DecryptionKey(string source, RSA? rsa, ECDiffieHellman? ec)
    {
        Source = source;
        Rsa = rsa;
        Ec = ec;
    }

    /// <summary>Where the key came from (a file name), for messages; never the key itself.</summary>
    public string Source { get; }

    /// <summary>The RSA key, or null.</summary>
    public RSA? Rsa { get; }

    /// <summary>The EC key, or null.</summary>
    public ECDiffieHellman? Ec { get; }

    /// <summary>The key's type and size, e.g. <c>RSA 2048</c> or <c>EC P-256</c>.</summary>
    public string Kind => Rsa is not null ? $"RSA {Rsa.KeySize}" : $"EC {JweCurves.Name(Ec!.ExportParameters(false).Curve) ?? Ec.KeySize.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>Wraps an RSA key.</summary>
    public static DecryptionKey FromRsa(string source, RSA rsa) => new(source, rsa, null);

    /// <summary>Wraps an EC key.</summary>
    public static DecryptionKey FromEc(string source, ECDiffieHellman ec) => new(source, null, ec);

    /// <inheritdoc />
    public override string ToString() => $"{Source} ({Kind})";

    /// <inheritdoc />
    public void Dispose()
    {
        Rsa?.Dispose();
        Ec?.Dispose();
    }
}
