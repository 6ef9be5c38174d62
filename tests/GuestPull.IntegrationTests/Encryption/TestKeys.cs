using GuestPull.Testing;

namespace GuestPull.IntegrationTests.Encryption;

/// <summary>Key pairs made with openssl, as an operator would make them for skopeo's <c>--encryption-key jwe:PUB</c>.</summary>
internal sealed class TestKeys
{
    private TestKeys(string directory) => Directory_ = directory;

    private string Directory_ { get; }

    public string RsaPrivate => Path.Combine(Directory_, "rsa.pem");

    public string RsaPublic => Path.Combine(Directory_, "rsa.pub.pem");

    /// <summary>The RSA key as encrypted PKCS#8, password <see cref="Password"/>.</summary>
    public string RsaEncrypted => Path.Combine(Directory_, "rsa.enc.pem");

    public string EcPrivate => Path.Combine(Directory_, "ec.pem");

    public string EcPublic => Path.Combine(Directory_, "ec.pub.pem");

    public string SecondPrivate => Path.Combine(Directory_, "second.pem");

    public string SecondPublic => Path.Combine(Directory_, "second.pub.pem");

    /// <summary>A key no test image is encrypted for.</summary>
    public string OtherPrivate => Path.Combine(Directory_, "other.pem");

    public string Password => "s3cret pass";

    public static async Task<TestKeys> CreateAsync(string directory, CancellationToken cancellationToken)
    {
        var keys = new TestKeys(directory);
        foreach (var name in (string[])["rsa", "second", "other"])
        {
            await OpenSsl(cancellationToken, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", Path.Combine(directory, name + ".pem"));
            await OpenSsl(cancellationToken, "pkey", "-in", Path.Combine(directory, name + ".pem"), "-pubout", "-out", Path.Combine(directory, name + ".pub.pem"));
        }

        // SEC1 ("EC PRIVATE KEY"), the form `openssl ecparam -genkey` writes.
        await OpenSsl(cancellationToken, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", keys.EcPrivate);
        await OpenSsl(cancellationToken, "ec", "-in", keys.EcPrivate, "-pubout", "-out", keys.EcPublic);
        await OpenSsl(cancellationToken, "pkcs8", "-topk8", "-in", keys.RsaPrivate, "-v2", "aes256", "-passout", "pass:" + keys.Password, "-out", keys.RsaEncrypted);
        return keys;
    }

    private static Task OpenSsl(CancellationToken cancellationToken, params string[] arguments)
        => ProcessRunner.RunAsync("openssl", arguments, new ProcessRunOptions { Timeout = TimeSpan.FromMinutes(1) }, cancellationToken);
}
