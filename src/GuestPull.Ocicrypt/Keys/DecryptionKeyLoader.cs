using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Pkcs;

namespace GuestPull.Ocicrypt.Keys;

/// <summary>
/// Loads JWE private keys as skopeo's <c>--decryption-key FILE[:PASSWORD]</c> names them: PEM (PKCS#8,
/// encrypted PKCS#8, PKCS#1 RSA, SEC1 EC, OpenSSL's legacy encrypted PEM) or a private JWK. The password
/// is <c>pass=TEXT</c>, <c>file=PATH</c> or the text itself, as in ocicrypt.
/// </summary>
public static class DecryptionKeyLoader
{
    /// <summary>Loads the key <paramref name="specification"/> names (<c>FILE[:PASSWORD]</c>).</summary>
    /// <param name="specification">The file, optionally followed by a colon and the password.</param>
    /// <exception cref="KeyLoadException">The file is missing, not a private key, or the password is wrong.</exception>
    public static DecryptionKey Load(string specification)
    {
        ArgumentException.ThrowIfNullOrEmpty(specification);
        var colon = specification.IndexOf(':', StringComparison.Ordinal);
        var path = colon < 0 ? specification : specification[..colon];
        var password = colon < 0 ? null : Password(specification[(colon + 1)..]);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyLoadException($"decryption key '{path}': {e.Message}", e);
        }

        return Parse(path, bytes, password);
    }

    /// <summary>Parses a private key from <paramref name="bytes"/>.</summary>
    /// <param name="source">Names the key in messages.</param>
    /// <param name="bytes">PEM or JWK.</param>
    /// <param name="password">The password of an encrypted PEM, or null.</param>
    public static DecryptionKey Parse(string source, ReadOnlySpan<byte> bytes, string? password)
    {
        ArgumentNullException.ThrowIfNull(source);
        var text = Encoding.UTF8.GetString(bytes).Trim();
        try
        {
            if (text.StartsWith('{'))
            {
                return JwkKey.Parse(source, text);
            }

            if (!text.Contains("-----BEGIN ", StringComparison.Ordinal))
            {
                throw new KeyLoadException($"decryption key '{source}' is neither PEM nor a JWK");
            }

            if (text.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
            {
                return FromPkcs8(source, LegacyEncryptedPem(source, text, password));
            }

            if (text.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal))
            {
                if (password is null)
                {
                    throw new KeyLoadException($"decryption key '{source}' is encrypted; give its password as {source}:PASSWORD");
                }

                using var rsa = RSA.Create();
                try
                {
                    rsa.ImportFromEncryptedPem(text, password);
                    return DecryptionKey.FromRsa(source, Take(rsa));
                }
                catch (CryptographicException)
                {
                    // Not RSA, or a wrong password: the EC import below tells which.
                }

                var ec = ECDiffieHellman.Create();
                try
                {
                    ec.ImportFromEncryptedPem(text, password);
                    return DecryptionKey.FromEc(source, ec);
                }
                catch (CryptographicException e)
                {
                    ec.Dispose();
                    throw new KeyLoadException($"decryption key '{source}': wrong password or not an RSA or EC private key ({e.Message})", e);
                }
            }

            if (text.Contains("-----BEGIN RSA PRIVATE KEY-----", StringComparison.Ordinal) || text.Contains("-----BEGIN PRIVATE KEY-----", StringComparison.Ordinal))
            {
                var rsa = RSA.Create();
                try
                {
                    rsa.ImportFromPem(text);
                    return DecryptionKey.FromRsa(source, rsa);
                }
                catch (CryptographicException)
                {
                    rsa.Dispose();
                }
            }

            if (text.Contains("-----BEGIN EC PRIVATE KEY-----", StringComparison.Ordinal) || text.Contains("-----BEGIN PRIVATE KEY-----", StringComparison.Ordinal))
            {
                var ec = ECDiffieHellman.Create();
                try
                {
                    ec.ImportFromPem(text);
                    return DecryptionKey.FromEc(source, ec);
                }
                catch (CryptographicException e)
                {
                    ec.Dispose();
                    throw new KeyLoadException($"decryption key '{source}' is not an RSA or EC private key: {e.Message}", e);
                }
            }

            throw new KeyLoadException($"decryption key '{source}' holds no private key (a public key or certificate cannot decrypt)");
        }
        catch (Exception e) when (e is FormatException or ArgumentException or JsonException or CryptographicException)
        {
            throw new KeyLoadException($"decryption key '{source}': {e.Message}", e);
        }
    }

    private static RSA Take(RSA rsa)
    {
        var copy = RSA.Create();
        copy.ImportParameters(rsa.ExportParameters(true));
        return copy;
    }

    private static string Password(string value)
    {
        if (value.StartsWith("pass=", StringComparison.Ordinal))
        {
            return value[5..];
        }

        if (value.StartsWith("file=", StringComparison.Ordinal))
        {
            try
            {
                return File.ReadAllText(value[5..]).TrimEnd('\n', '\r');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new KeyLoadException($"decryption key password file '{value[5..]}': {e.Message}", e);
            }
        }

        if (value.StartsWith("fd=", StringComparison.Ordinal))
        {
            throw new KeyLoadException("decryption key passwords from a file descriptor (fd=) are not supported; use file=PATH");
        }

        return value;
    }

    private static byte[] LegacyEncryptedPem(string source, string text, string? password)
    {
        if (password is null)
        {
            throw new KeyLoadException($"decryption key '{source}' is encrypted; give its password as {source}:PASSWORD");
        }

        // .NET reads only PKCS#8 encryption; OpenSSL's older "Proc-Type" PEM goes through BouncyCastle.
        try
        {
            using var reader = new StringReader(text);
            var pem = new PemReader(reader, new FixedPassword(password));
            var read = pem.ReadObject();
            var key = read switch
            {
                Org.BouncyCastle.Crypto.AsymmetricCipherKeyPair pair => pair.Private,
                Org.BouncyCastle.Crypto.AsymmetricKeyParameter { IsPrivate: true } single => single,
                _ => throw new KeyLoadException($"decryption key '{source}' holds no private key"),
            };
            return PrivateKeyInfoFactory.CreatePrivateKeyInfo(key).GetDerEncoded();
        }
        catch (Exception e) when (e is PemException or InvalidCastException or IOException or Org.BouncyCastle.Crypto.InvalidCipherTextException)
        {
            throw new KeyLoadException($"decryption key '{source}': wrong password or damaged PEM ({e.Message})", e);
        }
    }

    private static DecryptionKey FromPkcs8(string source, byte[] pkcs8)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportPkcs8PrivateKey(pkcs8, out _);
            return DecryptionKey.FromRsa(source, rsa);
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
        }

        var ec = ECDiffieHellman.Create();
        ec.ImportPkcs8PrivateKey(pkcs8, out _);
        return DecryptionKey.FromEc(source, ec);
    }

    private sealed class FixedPassword(string password) : IPasswordFinder
    {
        public char[] GetPassword() => password.ToCharArray();
    }
}
