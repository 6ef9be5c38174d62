using System.Text;

namespace GuestPull.Testing;

/// A fresh OpenPGP signing key (RSA 2048, no passphrase) made by the real gpg in a private
/// GNUPGHOME. The agent gpg starts is stopped on dispose. Used to sign with gpg directly or
/// through skopeo --sign-by, the way an image publisher signs.
public sealed class GpgKey : IAsyncDisposable
{
    private readonly TempDirectory _home;

    private GpgKey(TempDirectory home, string fingerprint, string publicKeyPath, string armoredPublicKeyPath)
    {
        _home = home;
        Fingerprint = fingerprint;
        PublicKeyPath = publicKeyPath;
        ArmoredPublicKeyPath = armoredPublicKeyPath;
    }

    /// GNUPGHOME holding the secret key.
    public string Home => _home.Path;

    public string Fingerprint { get; }

    /// gpg --export (binary keyring), what containers-policy.json keyPath names.
    public string PublicKeyPath { get; }

    /// gpg --export --armor.
    public string ArmoredPublicKeyPath { get; }

    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?> { ["GNUPGHOME"] = Home };

    public static async Task<GpgKey> CreateAsync(string name, CancellationToken cancellationToken = default)
    {
        var home = TempDirectory.Create("gpg");
        try
        {
            var env = new Dictionary<string, string?> { ["GNUPGHOME"] = home.Path };
            var options = new ProcessRunOptions { Environment = env, Timeout = TimeSpan.FromMinutes(3) };
            await ProcessRunner.RunAsync("gpg", ["--batch", "--pinentry-mode", "loopback", "--passphrase", string.Empty, "--quick-gen-key", $"{name} <{name.ToLowerInvariant().Replace(' ', '-')}@example.com>", "rsa2048", "sign", "never"], options, cancellationToken).ConfigureAwait(false);
            var listing = await ProcessRunner.RunAsync("gpg", ["--batch", "--with-colons", "--list-keys"], options, cancellationToken).ConfigureAwait(false);
            var fingerprint = listing.StandardOutput.Split('\n').First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];
            var binary = home.Combine("public.gpg");
            var armored = home.Combine("public.asc");
            var exported = await ProcessRunner.RunAsync("gpg", ["--batch", "--export", fingerprint], options, cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(binary, exported.StandardOutputBytes, cancellationToken).ConfigureAwait(false);
            var exportedArmor = await ProcessRunner.RunAsync("gpg", ["--batch", "--export", "--armor", fingerprint], options, cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(armored, exportedArmor.StandardOutputBytes, cancellationToken).ConfigureAwait(false);
            return new GpgKey(home, fingerprint, binary, armored);
        }
        catch
        {
            home.Dispose();
            throw;
        }
    }

    /// gpg --sign (an OpenPGP message holding the payload, as skopeo writes simple signatures).
    public async Task<byte[]> SignAsync(byte[] payload, CancellationToken cancellationToken = default)
    {
        var result = await ProcessRunner.RunAsync(
            "gpg",
            ["--batch", "--pinentry-mode", "loopback", "--passphrase", string.Empty, "--local-user", Fingerprint, "--sign", "--output", "-"],
            new ProcessRunOptions { Environment = Environment, StandardInput = payload },
            cancellationToken).ConfigureAwait(false);
        return result.StandardOutputBytes;
    }

    /// The simple-signing payload skopeo signs: critical identity and manifest digest.
    public static byte[] SimpleSigningPayload(string dockerReference, string manifestDigest, string type = "atomic container signature") =>
        Encoding.UTF8.GetBytes(
            $"{{\"critical\":{{\"identity\":{{\"docker-reference\":\"{dockerReference}\"}},\"image\":{{\"docker-manifest-digest\":\"{manifestDigest}\"}},\"type\":\"{type}\"}},\"optional\":{{\"creator\":\"guestpull tests\"}}}}");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await ProcessRunner.RunAsync("gpgconf", ["--kill", "all"], new ProcessRunOptions { Environment = Environment, ThrowOnFailure = false, Timeout = TimeSpan.FromSeconds(30) }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or System.ComponentModel.Win32Exception)
        {
            // Best effort: a leftover agent exits on its own once its home directory is gone.
        }

        _home.Dispose();
    }
}
