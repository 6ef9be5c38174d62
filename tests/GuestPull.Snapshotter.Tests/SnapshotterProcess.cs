using GuestPull.Linux;
using GuestPull.Testing;

namespace GuestPull.Snapshotter.Tests;

/// <summary>The snapshotter in a child process (this assembly's <see cref="Program"/>), for kill -9 and SIGTERM tests.</summary>
internal sealed class SnapshotterProcess : IAsyncDisposable
{
    private readonly BackgroundProcess _process;

    private SnapshotterProcess(BackgroundProcess process, string address)
    {
        _process = process;
        Address = address;
    }

    public string Address { get; }

    public BackgroundProcess Process => _process;

    public static async Task<SnapshotterProcess> StartAsync(
        string root, string address, string driver, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var assembly = Path.Combine(AppContext.BaseDirectory, "GuestPull.Snapshotter.Tests.dll");
        var process = ProcessRunner.StartBackground(
            dotnet, ["exec", assembly, "serve", root, address, driver], new BackgroundProcessOptions { Environment = environment });
        try
        {
            await process.WaitForLineAsync(line => line.Contains("Snapshotter ready", StringComparison.Ordinal), TimeSpan.FromMinutes(2), CancellationToken.None);
        }
        catch
        {
            var output = process.DescribeOutput();
            await process.DisposeAsync();
            throw new InvalidOperationException($"the snapshotter process did not become ready:\n{output}");
        }
        return new SnapshotterProcess(process, address);
    }

    public void Signal(int signal)
    {
        if (!Signals.Send(_process.Id, signal))
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}): the process is gone");
        }
    }

    public async ValueTask DisposeAsync() => await _process.DisposeAsync();
}
