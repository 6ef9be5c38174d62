using GuestPull.Testing;

namespace GuestPull.Bench.Pull.Contenders;

/// The benchmark image encrypted by skopeo for a fresh RSA key (`--encryption-key jwe:PUB`), pushed next to the plain one.
internal sealed record EncryptedImage(string Reference, string PrivateKey)
{
    public static async Task<EncryptedImage> CreateAsync(string registryHost, string repository, string tag, string directory, CancellationToken cancellationToken)
    {
        var privateKey = Path.Combine(directory, "key.pem");
        var publicKey = Path.Combine(directory, "key.pub.pem");
        await ProcessRunner.RunAsync("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", privateKey], cancellationToken).ConfigureAwait(false);
        await ProcessRunner.RunAsync("openssl", ["pkey", "-in", privateKey, "-pubout", "-out", publicKey], cancellationToken).ConfigureAwait(false);
        var reference = $"{registryHost}/{repository}-encrypted:{tag}";
        await Skopeo.RunAsync(
            ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--encryption-key", "jwe:" + publicKey, $"docker://{registryHost}/{repository}:{tag}", "docker://" + reference],
            TimeSpan.FromMinutes(20),
            cancellationToken).ConfigureAwait(false);
        return new EncryptedImage(reference, privateKey);
    }
}
