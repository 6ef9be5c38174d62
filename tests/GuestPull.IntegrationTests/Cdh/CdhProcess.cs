using Google.Protobuf;
using GuestPull.Api.Cdh;
using GuestPull.Testing;
using GuestPull.Ttrpc;

namespace GuestPull.IntegrationTests.Cdh;

/// <summary>
/// The published <c>confidential-data-hub</c> (artifacts/bin, made by ./build.sh) started as kata-agent
/// starts it, <c>confidential-data-hub -c cdh.toml</c>, in a mount namespace of its own whose tmpfs at
/// /run/kata-containers stands in for the guest's memory; a ttrpc client on its socket. The test sees
/// the guest's files through <c>/proc/PID/root</c>, as the namespace's own processes see them.
/// </summary>
internal sealed class CdhProcess : IAsyncDisposable
{
    public const string KataRun = "/run/kata-containers";
    private static readonly TtrpcCallOptions CallOptions = new() { Timeout = TimeSpan.FromMinutes(3) };

    private readonly BackgroundProcess _process;

    private CdhProcess(BackgroundProcess process, TtrpcClient client)
    {
        _process = process;
        Client = client;
    }

    public TtrpcClient Client { get; }

    /// <summary>Where ./build.sh puts the executable kata-agent would start.</summary>
    public static string Executable
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "GuestPull.slnx")))
                {
                    var path = Path.Combine(directory.FullName, "artifacts", "bin", "confidential-data-hub");
                    return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: run ./build.sh, which publishes guestpull-agent and links confidential-data-hub to it", path);
                }
            }

            throw new DirectoryNotFoundException($"no repository root above {AppContext.BaseDirectory}");
        }
    }

    public string DescribeOutput() => _process.DescribeOutput(60);

    /// <summary>Starts the service with <paramref name="configToml"/> as cdh.toml; its socket goes in <paramref name="work"/>.</summary>
    public static async Task<CdhProcess> StartAsync(TempDirectory work, string configToml, CancellationToken cancellationToken, string? kernelCommandLine = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var socket = work.Combine("cdh.sock");
        var config = work.Combine("cdh.toml");
        await File.WriteAllTextAsync(config, $"socket = \"unix://{socket}\"\n" + configToml, cancellationToken);
        string[] extra = kernelCommandLine is null ? [] : ["--kernel-cmdline", kernelCommandLine];
        Directory.CreateDirectory(KataRun);
        var script = $"mount -t tmpfs -o mode=0755 tmpfs {KataRun} && exec \"$@\"";
        var process = ProcessRunner.StartBackground(
            "unshare",
            ["--mount", "--propagation", "private", "sh", "-c", script, "sh", Executable, "-c", config, .. extra],
            new BackgroundProcessOptions { Environment = environment });
        try
        {
            await process.WaitForLineAsync(l => l.Contains("serving api.ImagePullService", StringComparison.Ordinal), TimeSpan.FromMinutes(1), cancellationToken);
            var client = await TtrpcClient.ConnectAsync(socket, cancellationToken: cancellationToken);
            return new CdhProcess(process, client);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            var output = process.DescribeOutput(60);
            await process.DisposeAsync();
            throw new InvalidOperationException("confidential-data-hub did not start:\n" + output, ex);
        }
    }

    /// <summary>A path of the guest (the service's mount namespace), as the test reaches it.</summary>
    public string InGuest(string path) => $"/proc/{_process.Id}/root{path}";

    /// <summary>The mount table of the service's namespace, paths as the guest sees them.</summary>
    public Task<string> ReadMountsAsync(CancellationToken cancellationToken) => File.ReadAllTextAsync($"/proc/{_process.Id}/mounts", cancellationToken);

    /// <summary>Makes the empty bundle directory kata-agent makes, then calls PullImage as kata-agent does.</summary>
    public Task<ImagePullResponse> PullAsync(string image, string bundle, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(InGuest(bundle));
        return CallAsync<ImagePullRequest, ImagePullResponse>("api.ImagePullService", "PullImage", new ImagePullRequest { ImageUrl = image, BundlePath = bundle }, cancellationToken);
    }

    public Task<TResponse> CallAsync<TRequest, TResponse>(string service, string method, TRequest request, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new() =>
        Client.CallAsync<TRequest, TResponse>(service, method, request, CallOptions, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await _process.DisposeAsync();
    }
}
