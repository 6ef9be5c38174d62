using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GuestPull.Ocicrypt.Cipher;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace GuestPull.Ocicrypt.Tests;

/// <summary>
/// The layer cipher against an independent AES-CTR (BouncyCastle's SIC mode, a 128-bit big-endian counter
/// like Go's crypto/cipher CTR) and HMAC-SHA256 over the ciphertext, as ocicrypt's encrypter produces them.
/// </summary>
public sealed class AesCtrHmacDecryptingStreamTests
{
    private static (byte[] Ciphertext, LayerCipherOptions Options) Encrypt(byte[] plaintext, byte[] nonce, bool withDigest = true, byte[]? hmacOverride = null)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var ctr = new SicBlockCipher(new AesEngine());
        ctr.Init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        var ciphertext = new byte[plaintext.Length];
        var block = new byte[16];
        for (var offset = 0; offset < plaintext.Length; offset += 16)
        {
            var n = Math.Min(16, plaintext.Length - offset);
            Array.Clear(block);
            Array.Copy(plaintext, offset, block, 0, n);
            var output = new byte[16];
            ctr.ProcessBlock(block, 0, output, 0);
            Array.Copy(output, 0, ciphertext, offset, n);
        }

        var hmac = hmacOverride ?? HMACSHA256.HashData(key, ciphertext);
        var privateOptions = Options(key, withDigest ? "sha256:" + Convert.ToHexStringLower(SHA256.HashData(plaintext)) : string.Empty, nonce);
        var publicOptions = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["cipher"] = "AES_256_CTR_HMAC_SHA256", ["hmac"] = hmac, ["cipheroptions"] = new Dictionary<string, byte[]>() });
        return (ciphertext, LayerCipherOptions.Parse(privateOptions, publicOptions));
    }

    /// <summary>ocicrypt's private options as Go's JSON writes them (byte fields in standard base64).</summary>
    private static byte[] Options(byte[] key, string digest, byte[] nonce)
        => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["symkey"] = key, ["digest"] = digest, ["cipheroptions"] = new Dictionary<string, byte[]> { ["nonce"] = nonce } });

    private static async Task<byte[]> DecryptAsync(byte[] ciphertext, LayerCipherOptions options, int readSize)
    {
        await using var stream = new AesCtrHmacDecryptingStream(new MemoryStream(ciphertext), options);
        var output = new MemoryStream();
        var buffer = new byte[readSize];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(15, 7)]
    [InlineData(16 * 4096 + 5, 1000)]
    [InlineData(300_001, 65536)]
    [InlineData(1_000_000, 128 * 1024)]
    public async Task DecryptsWhatCtrEncryptedInAnyReadSize(int size, int readSize)
    {
        var plaintext = RandomNumberGenerator.GetBytes(size);
        var (ciphertext, options) = Encrypt(plaintext, RandomNumberGenerator.GetBytes(16));

        Assert.Equal(plaintext, await DecryptAsync(ciphertext, options, readSize));
    }

    [Fact]
    public async Task TheCounterCarriesAcrossItsLow64Bits()
    {
        var nonce = Convert.FromHexString("00112233445566778ffffffffffffff0");
        var plaintext = RandomNumberGenerator.GetBytes(16 * 64);
        var (ciphertext, options) = Encrypt(plaintext, nonce);

        Assert.Equal(plaintext, await DecryptAsync(ciphertext, options, 100));
    }

    [Fact]
    public async Task AWrongHmacFailsAtTheEndOfTheStreamNotBefore()
    {
        var plaintext = RandomNumberGenerator.GetBytes(100_000);
        var (ciphertext, options) = Encrypt(plaintext, RandomNumberGenerator.GetBytes(16), hmacOverride: new byte[32]);
        await using var stream = new AesCtrHmacDecryptingStream(new MemoryStream(ciphertext), options);
        var buffer = new byte[plaintext.Length];
        var total = 0;
        int read;
        var error = await Assert.ThrowsAsync<LayerDecryptionException>(async () =>
        {
            while ((read = await stream.ReadAsync(buffer.AsMemory(total))) > 0)
            {
                total += read;
            }
        });

        Assert.Equal(plaintext.Length, total);
        Assert.Contains("HMAC does not match", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AlteredCiphertextFailsTheHmac()
    {
        var (ciphertext, options) = Encrypt(RandomNumberGenerator.GetBytes(5000), RandomNumberGenerator.GetBytes(16));
        ciphertext[1234] ^= 0x40;

        var error = await Assert.ThrowsAsync<LayerDecryptionException>(() => DecryptAsync(ciphertext, options, 4096));
        Assert.Contains("HMAC", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APlaintextDigestInTheOptionsIsAHintNotACheck()
    {
        // skopeo records the source blob's digest when it recompresses before encrypting; such images decrypt.
        var plaintext = RandomNumberGenerator.GetBytes(5000);
        var (ciphertext, options) = Encrypt(plaintext, RandomNumberGenerator.GetBytes(16));
        var stale = LayerCipherOptions.Parse(
            Options(options.SymmetricKey, "sha256:" + new string('0', 64), options.Nonce),
            JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["cipher"] = "AES_256_CTR_HMAC_SHA256", ["hmac"] = options.ExpectedHmac }));

        Assert.Equal(plaintext, await DecryptAsync(ciphertext, stale, 4096));
    }

    [Theory]
    [InlineData("""{"symkey":"AAAA","cipheroptions":{"nonce":"AAAAAAAAAAAAAAAAAAAAAA=="}}""", """{"cipher":"AES_256_CTR_HMAC_SHA256","hmac":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}""", "32")]
    [InlineData("""{"symkey":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","cipheroptions":{}}""", """{"cipher":"AES_256_CTR_HMAC_SHA256","hmac":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}""", "nonce")]
    [InlineData("""{"symkey":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","cipheroptions":{"nonce":"AAAAAAAAAAAAAAAAAAAAAA=="}}""", """{"cipher":"AES_256_CTR_HMAC_SHA256"}""", "HMAC")]
    [InlineData("""{"symkey":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","cipheroptions":{"nonce":"AAAAAAAAAAAAAAAAAAAAAA=="}}""", """{"cipher":"AES_128_GCM","hmac":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}""", "AES_128_GCM")]
    [InlineData("""[]""", """{}""", "JSON objects")]
    public void MalformedOptionsAreRefusedNamingTheProblem(string privateOptions, string publicOptions, string expected)
    {
        var error = Assert.Throws<LayerDecryptionException>(() => LayerCipherOptions.Parse(Encoding.UTF8.GetBytes(privateOptions), Encoding.UTF8.GetBytes(publicOptions)));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/vnd.oci.image.layer.v1.tar+gzip+encrypted", "application/vnd.oci.image.layer.v1.tar+gzip")]
    [InlineData("application/vnd.oci.image.layer.v1.tar+zstd+encrypted", "application/vnd.oci.image.layer.v1.tar+zstd")]
    [InlineData("application/vnd.oci.image.layer.v1.tar+encrypted", "application/vnd.oci.image.layer.v1.tar")]
    [InlineData("application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar+gzip")]
    public void EncryptedMediaTypesMapToTheirPlainTypes(string mediaType, string plain)
    {
        Assert.Equal(plain, EncryptedMediaTypes.Decrypted(mediaType));
        Assert.Equal(mediaType != plain, EncryptedMediaTypes.IsEncrypted(mediaType));
    }
}
