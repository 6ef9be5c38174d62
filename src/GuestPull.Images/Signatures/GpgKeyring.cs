using Org.BouncyCastle.Bcpg.OpenPgp;

namespace GuestPull.Images.Signatures;

/// <summary>
/// The trusted OpenPGP keys of a <c>signedBy</c> requirement, and verification of "simple signing"
/// signatures: an OpenPGP message (usually compressed) holding a one-pass signature, the literal
/// payload and the signature, as gpg and skopeo <c>--sign-by</c> write it. Only the keys given are
/// trusted; a signature by any other key, revoked key or expired key is refused.
/// </summary>
internal sealed class GpgKeyring
{
    private const int MaxPayloadSize = 4 * 1024 * 1024;
    private readonly List<PgpPublicKeyRingBundle> _bundles;

    private GpgKeyring(List<PgpPublicKeyRingBundle> bundles)
    {
        _bundles = bundles;
    }

    /// <summary>Primary key fingerprints, for messages.</summary>
    public IReadOnlyList<string> Fingerprints =>
        [.. _bundles.SelectMany(b => b.GetKeyRings()).Select(r => Convert.ToHexString(r.GetPublicKey().GetFingerprint()))];

    /// <summary>Loads binary or ASCII-armored keyrings (<c>gpg --export [--armor]</c>).</summary>
    /// <exception cref="FormatException">A keyring holds no public key or is not OpenPGP data.</exception>
    public static GpgKeyring Load(IEnumerable<(string Source, byte[] Data)> keyrings)
    {
        var bundles = new List<PgpPublicKeyRingBundle>();
        foreach (var (source, data) in keyrings)
        {
            PgpPublicKeyRingBundle bundle;
            try
            {
                using var input = PgpUtilities.GetDecoderStream(new MemoryStream(data));
                bundle = new PgpPublicKeyRingBundle(input);
            }
            catch (Exception ex) when (ex is PgpException or IOException or ArgumentException or InvalidOperationException or Org.BouncyCastle.Bcpg.UnsupportedPacketVersionException)
            {
                throw new FormatException($"{source}: not an OpenPGP public keyring: {ex.Message}", ex);
            }

            if (bundle.Count == 0)
            {
                throw new FormatException($"{source}: the keyring holds no public key");
            }

            bundles.Add(bundle);
        }

        return new GpgKeyring(bundles);
    }

    /// <summary>Verifies a signature and returns the payload it signs.</summary>
    /// <exception cref="SignatureVerificationException">Not signed by a trusted key, or it does not verify.</exception>
    public byte[] Verify(byte[] signature)
    {
        try
        {
            return VerifyCore(signature);
        }
        catch (Exception ex) when (ex is not SignatureVerificationException and not OutOfMemoryException)
        {
            // Hostile bytes reach BouncyCastle's parsers and inflater, which throw many types.
            throw new SignatureVerificationException($"corrupted signature: not a valid OpenPGP signed message ({ex.Message})", ex);
        }
    }

    private byte[] VerifyCore(byte[] signature)
    {
        using var input = PgpUtilities.GetDecoderStream(new MemoryStream(signature));
        var factory = new PgpObjectFactory(input);
        var next = factory.NextPgpObject();
        if (next is PgpCompressedData compressed)
        {
            factory = new PgpObjectFactory(compressed.GetDataStream());
            next = factory.NextPgpObject();
        }

        if (next is not PgpOnePassSignatureList { Count: 1 } onePassList)
        {
            throw new SignatureVerificationException("corrupted signature: expected exactly one one-pass signature packet at the start of the OpenPGP message");
        }

        var onePass = onePassList[0];
        var key = FindKey(onePass.KeyId)
            ?? throw new SignatureVerificationException($"wrong key: signed by OpenPGP key ID {onePass.KeyId:X16}, which is not among the trusted keys ({string.Join(", ", Fingerprints)})");
        if (key.HasRevocation())
        {
            throw new SignatureVerificationException($"wrong key: OpenPGP key {onePass.KeyId:X16} is revoked");
        }

        if (factory.NextPgpObject() is not PgpLiteralData literal)
        {
            throw new SignatureVerificationException("corrupted signature: the OpenPGP message has no literal data after the one-pass signature");
        }

        onePass.InitVerify(key);
        using var payload = new MemoryStream();
        using (var data = literal.GetDataStream())
        {
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = data.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (payload.Length + read > MaxPayloadSize)
                {
                    throw new SignatureVerificationException($"corrupted signature: the signed payload exceeds {MaxPayloadSize} bytes");
                }

                onePass.Update(buffer, 0, read);
                payload.Write(buffer, 0, read);
            }
        }

        if (factory.NextPgpObject() is not PgpSignatureList { Count: 1 } signatures)
        {
            throw new SignatureVerificationException("corrupted signature: the OpenPGP message does not end with exactly one signature packet");
        }

        var signaturePacket = signatures[0];
        if (signaturePacket.KeyId != onePass.KeyId)
        {
            throw new SignatureVerificationException("corrupted signature: the signature packet names another key than the one-pass packet");
        }

        if (!onePass.Verify(signaturePacket))
        {
            throw new SignatureVerificationException($"corrupted signature: the OpenPGP signature by key ID {onePass.KeyId:X16} does not verify (the signed data was altered)");
        }

        var validSeconds = key.GetValidSeconds();
        if (validSeconds > 0 && signaturePacket.CreationTime > key.CreationTime.AddSeconds(validSeconds))
        {
            throw new SignatureVerificationException($"wrong key: OpenPGP key {onePass.KeyId:X16} had expired when the signature was made");
        }

        return payload.ToArray();
    }

    private PgpPublicKey? FindKey(long keyId)
    {
        foreach (var bundle in _bundles)
        {
            if (bundle.GetPublicKey(keyId) is { } key)
            {
                return key;
            }
        }

        return null;
    }
}
