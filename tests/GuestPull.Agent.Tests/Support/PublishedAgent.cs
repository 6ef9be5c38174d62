using GuestPull.Testing;
using GuestPull.Ttrpc;

namespace GuestPull.Agent.Tests.Support;

/// The NativeAOT agent executable ./build.sh publishes (artifacts/bin/guestpull-agent), started as its
/// own process with a config of its own under a temp directory, and a ttrpc client connected to it.
internal sealed class PublishedAgent : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private readonly BackgroundProcess _process;

    private PublishedAgent(TempDirectory directory, BackgroundProcess process, TtrpcClient client)
    {
        _directory = directory;
        _process = process;
        Client = client;
    }

    /// The checkout these tests were built from (the build may put its output anywhere, e.g. --artifacts-path).
    public static string RepositoryRoot { get; } = Path.GetFullPath(
        typeof(PublishedAgent).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .Single(a => a.Key == "RepositoryRoot").Value!);

    /// Where ./build.sh puts the executable; test.sh runs build.sh before the tests.
    public static string Executable => Path.Combine(RepositoryRoot, "artifacts", "bin", "guestpull-agent");

    public TtrpcClient Client { get; }

    public string BundleRoot => _directory.Combine("bundles");

    /// A directory of the agent's temp directory, for settings such as copy_root.
    public string Scratch(string name) => _directory.Combine(name);

    public int ProcessId => _process.Id;

    /// <param name="insecureRegistry">A plain-HTTP registry the agent may use, or null.</param>
    /// <param name="trustedCaFile">A CA certificate the agent trusts instead of the system's (OpenSSL's SSL_CERT_FILE), or null.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <param name="extraConfig">More agent.toml lines, e.g. copy_root or loopback_gateway.</param>
    public static async Task<PublishedAgent> StartAsync(string? insecureRegistry, string? trustedCaFile, CancellationToken cancellationToken, string extraConfig = "")
    {
        if (!File.Exists(Executable))
        {
            throw new FileNotFoundException($"{Executable} is missing: run ./build.sh, which publishes the NativeAOT agent", Executable);
        }

        var directory = TempDirectory.Create("aot-agent");
        BackgroundProcess? process = null;
        try
        {
            var registriesConf = directory.Combine("registries.conf");
            await File.WriteAllTextAsync(registriesConf, "unqualified-search-registries = []\n", cancellationToken);
            var authFile = directory.Combine("auth.json");
            await File.WriteAllTextAsync(authFile, "{\"auths\":{}}", cancellationToken);
            var config = directory.Combine("agent.toml");
            await File.WriteAllTextAsync(config, $"""
                image_root = "{directory.Combine("image")}"
                bundle_root = "{directory.Combine("bundles")}"
                runc_root = "{directory.Combine("runc")}"
                registries_conf = "{registriesConf}"
                auth_file = "{authFile}"
                insecure_registries = [{(insecureRegistry is null ? string.Empty : $"\"{insecureRegistry}\"")}]
                {extraConfig}
                """, cancellationToken);

            var address = "unix://" + directory.Combine("agent.sock");
            var environment = trustedCaFile is null ? null : new Dictionary<string, string?> { ["SSL_CERT_FILE"] = trustedCaFile };
            process = ProcessRunner.StartBackground(Executable, ["--listen", address, "--config", config], new BackgroundProcessOptions { Environment = environment });
            await process.WaitForLineAsync(l => l.Contains("serving guestpull.agent.v1.Agent", StringComparison.Ordinal), TimeSpan.FromMinutes(1), cancellationToken);
            var client = await TtrpcClient.ConnectAsync(address, cancellationToken: cancellationToken);
            return new PublishedAgent(directory, process, client);
        }
        catch
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }

            directory.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await _process.DisposeAsync();
        _directory.Dispose();
    }
}
