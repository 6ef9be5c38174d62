using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace GuestPull.Testing;

/// A real docker-registry 2.8 ("docker-registry serve config.yml") on 127.0.0.1 with filesystem storage in
/// a temp directory, optionally behind TLS, htpasswd or token auth. Its access log is kept in memory so
/// tests can count what clients fetched. Disposing kills the registry (and token server) and deletes
/// everything it stored.
public sealed class RegistryInstance : IAsyncDisposable
{
    private const string SyncMarker = "guestpull-log-sync=";
    private const int MaxStartAttempts = 5;

    private readonly TempDirectory _directory;
    private readonly ConcurrentQueue<RegistryRequest> _requests = new();
    private BackgroundProcess? _process;

    private RegistryInstance(string name, TempDirectory directory, TestCertificateAuthority? authority, bool tls, IReadOnlyDictionary<string, string> users, TokenServer? tokenServer)
    {
        Name = name;
        _directory = directory;
        CertificateAuthority = authority;
        Tls = tls;
        Users = users;
        TokenServer = tokenServer;
        StorageRoot = directory.CreateSubdirectory("storage");
        Storage = new RegistryStorage(StorageRoot);
        ConfigPath = directory.Combine("config.yml");
    }

    public string Name { get; }

    /// "127.0.0.1:PORT".
    public string Host { get; private set; } = string.Empty;

    /// http(s)://127.0.0.1:PORT/
    public Uri BaseUri => new($"{(Tls ? "https" : "http")}://{Host}/");

    public bool Tls { get; }

    /// The CA (ca.crt) clients must trust; null without TLS.
    public string? CaCertificatePath => Tls ? CertificateAuthority!.CaCertificatePath : null;

    /// A directory containing only ca.crt, for skopeo's --cert-dir; null without TLS.
    public string? TrustDirectory => Tls ? CertificateAuthority!.TrustDirectory : null;

    /// Present with TLS or token auth (it also issues the token signing certificate).
    public TestCertificateAuthority? CertificateAuthority { get; }

    public string StorageRoot { get; }

    /// Direct edits of the filesystem storage, for hostile tests.
    public RegistryStorage Storage { get; }

    public string ConfigPath { get; }

    /// user → password for htpasswd or token auth; empty when the registry is open.
    public IReadOnlyDictionary<string, string> Users { get; }

    /// The first configured user, or null for an open registry.
    public RegistryCredentials? DefaultCredentials =>
        Users.Count == 0 ? null : Users.OrderBy(u => u.Key, StringComparer.Ordinal).Select(u => new RegistryCredentials(u.Key, u.Value)).First();

    public TokenServer? TokenServer { get; }

    public RegistryEndpoint Endpoint => new(Host, Tls, TrustDirectory, DefaultCredentials);

    /// Requests seen in the access log so far. Call <see cref="SyncAccessLogAsync"/> first when asserting
    /// right after a client finished, so the log reader has caught up.
    public IReadOnlyList<RegistryRequest> Requests => [.. _requests];

    /// The registry's own log (stderr) and access log, last lines, for failure messages.
    public string DescribeOutput(int lines = 40) => _process?.DescribeOutput(lines) ?? "(not started)";

    public static Task<RegistryInstance> StartAsync(CancellationToken cancellationToken) =>
        StartAsync(new RegistryOptions(), cancellationToken);

    public static async Task<RegistryInstance> StartAsync(RegistryOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.HtpasswdUsers is not null && options.TokenAuth is not null)
        {
            throw new ArgumentException("docker-registry takes one auth method: set HtpasswdUsers or TokenAuth, not both.", nameof(options));
        }

        var name = string.IsNullOrWhiteSpace(options.Name) ? "registry" : SafeName(options.Name);
        var directory = TempDirectory.Create(name);
        TestCertificateAuthority? authority = null;
        TokenServer? tokenServer = null;
        RegistryInstance? instance = null;
        try
        {
            if (options.Tls || options.TokenAuth is not null)
            {
                authority = TestCertificateAuthority.Create(directory.Combine("certs"));
            }

            string? htpasswdPath = null;
            IReadOnlyDictionary<string, string> users = new Dictionary<string, string>();
            if (options.HtpasswdUsers is not null)
            {
                htpasswdPath = directory.Combine("htpasswd");
                await WriteHtpasswdAsync(htpasswdPath, options.HtpasswdUsers, cancellationToken).ConfigureAwait(false);
                users = options.HtpasswdUsers;
            }
            else if (options.TokenAuth is not null)
            {
                tokenServer = await TokenServer.StartAsync(options.TokenAuth, authority!, options.Tls, cancellationToken).ConfigureAwait(false);
                users = options.TokenAuth.Users;
            }

            instance = new RegistryInstance(name, directory, authority, options.Tls, users, tokenServer);
            await instance.LaunchAsync(options, htpasswdPath, cancellationToken).ConfigureAwait(false);
            return instance;
        }
        catch
        {
            if (instance is not null)
            {
                await instance.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                if (tokenServer is not null)
                {
                    await tokenServer.DisposeAsync().ConfigureAwait(false);
                }

                authority?.Dispose();
                directory.Dispose();
            }

            throw;
        }
    }

    /// GETs of /v2/&lt;name&gt;/blobs/&lt;digest&gt; that the registry served (2xx/3xx, so an auth challenge
    /// answered with 401 is not a download), optionally for one digest only.
    public int CountBlobGets(string? digest = null) =>
        Requests.Count(r => r.IsBlobGet && r.Status is >= 200 and < 400 && (digest is null || r.BlobDigest == digest));

    /// <see cref="SyncAccessLogAsync"/> then <see cref="CountBlobGets"/>.
    public async Task<int> CountBlobGetsAsync(string? digest, CancellationToken cancellationToken)
    {
        await SyncAccessLogAsync(cancellationToken).ConfigureAwait(false);
        return CountBlobGets(digest);
    }

    /// Makes sure every request a client has finished is in <see cref="Requests"/>: the registry writes an
    /// access log line before flushing a response's last bytes, so once a marker request of ours shows up,
    /// the lines of everything answered earlier have been read too.
    public async Task SyncAccessLogAsync(CancellationToken cancellationToken)
    {
        var marker = SyncMarker + Guid.NewGuid().ToString("N");
        using (var client = CreateHttpClient())
        {
            using var response = await client.GetAsync(new Uri(BaseUri, "v2/?" + marker), cancellationToken).ConfigureAwait(false);
        }

        await _process!.WaitForLineAsync(line => line.Contains(marker, StringComparison.Ordinal), TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
    }

    public void ClearRequests() => _requests.Clear();

    /// An HttpClient for this registry (trusting its CA when TLS is on, no credentials).
    public HttpClient CreateHttpClient()
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(5) };
        if (Tls)
        {
            var ca = CertificateAuthority!.Certificate;
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                certificate is not null && ChainsTo(certificate, ca, errors);
        }

        return new HttpClient(handler) { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync().ConfigureAwait(false);
        }

        if (TokenServer is not null)
        {
            await TokenServer.DisposeAsync().ConfigureAwait(false);
        }

        CertificateAuthority?.Dispose();
        _directory.Dispose();
    }

    public override string ToString() => $"{Name} at {BaseUri}";

    private async Task LaunchAsync(RegistryOptions options, string? htpasswdPath, CancellationToken cancellationToken)
    {
        var tls = options.Tls ? CertificateAuthority : null;
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort.Get();
            Host = $"127.0.0.1:{port}";
            await File.WriteAllTextAsync(ConfigPath, RegistryConfigFile.Render(port, StorageRoot, tls, htpasswdPath, TokenServer), cancellationToken).ConfigureAwait(false);
            var process = ProcessRunner.StartBackground("docker-registry", ["serve", ConfigPath], new BackgroundProcessOptions
            {
                WorkingDirectory = _directory.Path,
                OnStandardOutputLine = OnAccessLogLine,
            });
            _process = process;
            if (await WaitUntilUpAsync(process, options.StartTimeout, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            var output = process.DescribeOutput();
            await process.DisposeAsync().ConfigureAwait(false);
            _process = null;
            if (!output.Contains("address already in use", StringComparison.Ordinal) || attempt == MaxStartAttempts)
            {
                throw new InvalidOperationException($"docker-registry ({Name}) exited during startup on {Host}.\n{output}");
            }
        }
    }

    /// True once /v2/ answers (200, or 401 when auth is on); false if the process exited first.
    private async Task<bool> WaitUntilUpAsync(BackgroundProcess process, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = CreateHttpClient();
        client.Timeout = TimeSpan.FromSeconds(5);
        var clock = Stopwatch.StartNew();
        var lastError = "no answer yet";
        while (clock.Elapsed < timeout)
        {
            if (process.HasExited)
            {
                return false;
            }

            try
            {
                using var response = await client.GetAsync(new Uri(BaseUri, "v2/"), cancellationToken).ConfigureAwait(false);
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    return true;
                }

                lastError = $"/v2/ answered {(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                lastError = e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                lastError = "request timed out";
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"docker-registry ({Name}) on {Host} did not answer /v2/ within {timeout} ({lastError}).\n{process.DescribeOutput()}");
    }

    private void OnAccessLogLine(string line)
    {
        var request = AccessLogParser.TryParse(line);
        if (request is not null && !request.Target.Contains(SyncMarker, StringComparison.Ordinal))
        {
            _requests.Enqueue(request);
        }
    }

    private static async Task WriteHtpasswdAsync(string path, IReadOnlyDictionary<string, string> users, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        foreach (var (user, password) in users.OrderBy(u => u.Key, StringComparer.Ordinal))
        {
            if (user.Length == 0 || user.Contains(':', StringComparison.Ordinal))
            {
                throw new ArgumentException($"htpasswd user name '{user}' must be non-empty and must not contain ':'.", nameof(users));
            }

            // -B: bcrypt, the only hash docker-registry's htpasswd auth accepts.
            var result = await ProcessRunner.RunAsync("htpasswd", ["-Bbn", user, password], cancellationToken).ConfigureAwait(false);
            lines.Add(result.StandardOutput.Trim());
        }

        await File.WriteAllLinesAsync(path, lines, cancellationToken).ConfigureAwait(false);
    }

    private static bool ChainsTo(X509Certificate certificate, X509Certificate2 ca, SslPolicyErrors errors)
    {
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    private static string SafeName(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').Take(40).ToArray());
}
