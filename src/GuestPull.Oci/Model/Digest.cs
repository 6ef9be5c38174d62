using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace GuestPull.Oci.Model;

/// <summary>
/// A validated content digest (<c>algorithm:hex</c>). Only <c>sha256</c> and <c>sha512</c> are
/// accepted, with lower-case hex of the exact length, so a digest that came from a registry or a
/// manifest can be put into a URL or a file name without further checks (CVE-2024-3727 class).
/// </summary>
public readonly record struct Digest
{
    private Digest(string algorithm, string hex)
    {
        Algorithm = algorithm;
        Hex = hex;
    }

    /// <summary>The algorithm name, <c>sha256</c> or <c>sha512</c>.</summary>
    public string Algorithm { get; }

    /// <summary>The lower-case hex encoding of the hash.</summary>
    public string Hex { get; }

    /// <summary>Whether this is the default value rather than a parsed digest.</summary>
    public bool IsEmpty => Algorithm is null;

    /// <summary>Parses and validates a digest string.</summary>
    /// <exception cref="FormatException">The string is not a valid sha256/sha512 digest.</exception>
    public static Digest Parse(string value)
    {
        if (!TryParse(value, out var digest, out var error))
        {
            throw new FormatException(error);
        }

        return digest;
    }

    /// <summary>Parses a digest string without throwing.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out Digest digest) => TryParse(value, out digest, out _);

    private static bool TryParse(string? value, out Digest digest, out string error)
    {
        digest = default;
        if (string.IsNullOrEmpty(value))
        {
            error = "invalid digest: empty";
            return false;
        }

        var shown = value.Length > 80 ? value[..80] + "…" : value;
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            error = $"invalid digest \"{shown}\": expected algorithm:hex";
            return false;
        }

        var algorithm = value[..colon];
        var hex = value[(colon + 1)..];
        var expectedLength = algorithm switch
        {
            "sha256" => 64,
            "sha512" => 128,
            _ => -1,
        };
        if (expectedLength < 0)
        {
            error = $"invalid digest \"{shown}\": unsupported algorithm \"{algorithm}\" (sha256 and sha512 are accepted)";
            return false;
        }

        if (hex.Length != expectedLength)
        {
            error = $"invalid digest \"{shown}\": {algorithm} needs {expectedLength} hex characters, found {hex.Length}";
            return false;
        }

        foreach (var c in hex)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                error = $"invalid digest \"{shown}\": only lower-case hex is allowed after \"{algorithm}:\"";
                return false;
            }
        }

        digest = new Digest(algorithm, hex);
        error = string.Empty;
        return true;
    }

    /// <summary>Makes a digest from a raw hash value.</summary>
    public static Digest FromHash(string algorithm, ReadOnlySpan<byte> hash) => Parse(algorithm + ":" + Convert.ToHexStringLower(hash));

    /// <summary>Computes the sha256 digest of <paramref name="data"/>.</summary>
    public static Digest ComputeSha256(ReadOnlySpan<byte> data) => FromHash("sha256", SHA256.HashData(data));

    /// <summary>Computes the digest of <paramref name="data"/> with this digest's algorithm.</summary>
    public Digest ComputeSameAlgorithm(ReadOnlySpan<byte> data) => Algorithm switch
    {
        "sha512" => FromHash("sha512", SHA512.HashData(data)),
        _ => ComputeSha256(data),
    };

    /// <summary>Starts an incremental hash with this digest's algorithm.</summary>
    public IncrementalHash CreateHash() => IncrementalHash.CreateHash(Algorithm == "sha512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256);

    /// <summary>The <c>algorithm:hex</c> form.</summary>
    public override string ToString() => IsEmpty ? string.Empty : Algorithm + ":" + Hex;
}
