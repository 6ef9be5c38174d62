using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using GuestPull.Install.Services;
using GuestPull.Install.Tests.Infrastructure;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.Install.Tests.Integration;

/// <summary>
/// <c>guestpull install --cache</c> through the CLI: the node cache runs and answers, the shim's agents are
/// pointed at it, doctor checks it, and uninstall stops it and puts every file back byte for byte.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class CacheInstallTests
{
    [Fact]
    public async Task InstallCacheStartsTheCachePointsTheShimAtItAndUninstallRestoresTheShimConfigByteForByte()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        await using var containerd = await RestartableContainerd.CreateAsync(timeout.Token);
        var prefix = Path.Combine(containerd.Directory, "prefix");
        var shimConfig = Path.Combine(prefix, "etc", "guestpull", "shim.toml");
        // The operator's own shim config, with comments and an [agent] table: install edits it in place.
        const string Operator = "# my shim settings\nsandbox = \"vm\"  # pods in VMs\n\n[agent]\npull_concurrency = 2 # keep it low\n";
        Directory.CreateDirectory(Path.GetDirectoryName(shimConfig)!);
        await File.WriteAllTextAsync(shimConfig, Operator, timeout.Token);
        var port = FreePort();
        var listen = $"127.0.0.1:{port}";
        string[] locations = ["--containerd-config", containerd.ConfigPath, "--containerd-address", containerd.GrpcAddress, "--prefix", prefix, "--standalone", "--no-containerd-restart"];

        try
        {
            var install = await RunAsync(["install", .. locations, "--skip-binaries", "--cache", "--cache-listen", listen, "--cache-max-size", "1G"], timeout.Token);
            Assert.True(install.ExitCode == 0, install.StandardError + install.StandardOutput);
            Assert.Contains($"the node cache answers on http://{listen}/v2/", install.StandardOutput, StringComparison.Ordinal);

            // A real cache answers: the distribution base, and a tag is refused as it must be.
            using (var http = new HttpClient())
            {
                using var api = await http.GetAsync(new Uri($"http://{listen}/v2/"), timeout.Token);
                Assert.Equal(HttpStatusCode.OK, api.StatusCode);
                using var tag = await http.GetAsync(new Uri($"http://{listen}/v2/registry.example.com/app/manifests/latest"), timeout.Token);
                Assert.Equal(HttpStatusCode.NotFound, tag.StatusCode);
            }

            var edited = await File.ReadAllTextAsync(shimConfig, timeout.Token);
            Assert.StartsWith("# my shim settings\nsandbox = \"vm\"  # pods in VMs\n", edited, StringComparison.Ordinal);
            Assert.Contains("pull_concurrency = 2 # keep it low", edited, StringComparison.Ordinal);
            Assert.Contains($"node_cache = \"{listen}\"", edited, StringComparison.Ordinal);
            Assert.True(Directory.Exists(Path.Combine(prefix, "var", "lib", "guestpull", "cache", "blobs")));

            var doctor = await RunAsync(["doctor", .. locations, "--format", "json"], timeout.Token);
            Assert.Equal("PASS", Checks(doctor.StandardOutput)["cache.node"]);

            // Installing again changes nothing in the shim's config and restarts the one cache.
            var again = await RunAsync(["install", .. locations, "--skip-binaries", "--cache", "--cache-listen", listen, "--cache-max-size", "1G"], timeout.Token);
            Assert.True(again.ExitCode == 0, again.StandardError + again.StandardOutput);
            Assert.Equal(edited, await File.ReadAllTextAsync(shimConfig, timeout.Token));

            var uninstall = await RunAsync(["uninstall", .. locations], timeout.Token);
            Assert.True(uninstall.ExitCode == 0, uninstall.StandardError);

            Assert.Equal(Operator, await File.ReadAllTextAsync(shimConfig, timeout.Token));
            Assert.False(Directory.Exists(Path.Combine(prefix, "var", "lib", "guestpull")));
            await AssertNothingListensAsync(listen);

            // With the cache gone, doctor warns that the agents would try it in vain.
            await File.WriteAllTextAsync(shimConfig, edited, timeout.Token);
            var stale = await RunAsync(["doctor", .. locations, "--format", "json"], timeout.Token);
            Assert.Equal("WARN", Checks(stale.StandardOutput)["cache.node"]);
        }
        finally
        {
            await RunAsync(["uninstall", .. locations], CancellationToken.None);
        }
    }

    [Fact]
    public async Task InstallNodeCachePointsTheShimAtACacheThatRunsElsewhere_StartsNone_AndUninstallRestoresTheShimConfig()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        await using var containerd = await RestartableContainerd.CreateAsync(timeout.Token);
        var prefix = Path.Combine(containerd.Directory, "prefix");
        var shimConfig = Path.Combine(prefix, "etc", "guestpull", "shim.toml");
        const string Operator = "# my shim settings\nsandbox = \"vm\"\n";
        Directory.CreateDirectory(Path.GetDirectoryName(shimConfig)!);
        await File.WriteAllTextAsync(shimConfig, Operator, timeout.Token);
        var elsewhere = $"127.0.0.1:{FreePort()}";
        string[] locations = ["--containerd-config", containerd.ConfigPath, "--containerd-address", containerd.GrpcAddress, "--prefix", prefix, "--standalone", "--no-containerd-restart"];

        try
        {
            var both = await RunAsync(["install", .. locations, "--skip-binaries", "--cache", "--node-cache", elsewhere], timeout.Token);
            Assert.Equal(1, both.ExitCode);
            Assert.Contains("give one of them", both.StandardError, StringComparison.Ordinal);
            Assert.Equal(Operator, await File.ReadAllTextAsync(shimConfig, timeout.Token));

            var install = await RunAsync(["install", .. locations, "--skip-binaries", "--node-cache", elsewhere], timeout.Token);
            Assert.True(install.ExitCode == 0, install.StandardError + install.StandardOutput);
            Assert.Contains($"node_cache = \"{elsewhere}\"", await File.ReadAllTextAsync(shimConfig, timeout.Token), StringComparison.Ordinal);
            Assert.DoesNotContain("the node cache answers", install.StandardOutput, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(prefix, "var", "lib", "guestpull", "cache")));
            await AssertNothingListensAsync(elsewhere);

            // Nothing serves there yet: doctor says the agents would try it in vain.
            var doctor = await RunAsync(["doctor", .. locations, "--format", "json"], timeout.Token);
            Assert.Equal("WARN", Checks(doctor.StandardOutput)["cache.node"]);

            var uninstall = await RunAsync(["uninstall", .. locations], timeout.Token);
            Assert.True(uninstall.ExitCode == 0, uninstall.StandardError);
            Assert.Equal(Operator, await File.ReadAllTextAsync(shimConfig, timeout.Token));
        }
        finally
        {
            await RunAsync(["uninstall", .. locations], CancellationToken.None);
        }
    }

    [Fact]
    public async Task CacheFlagsWithoutCacheAndABadAddressAreUsageErrorsThatChangeNothing()
    {
        using var directory = TempDirectory.Create("install-cache-cli");
        var config = directory.Combine("config.toml");
        await File.WriteAllTextAsync(config, await TestFiles.ContainerdDefaultConfigAsync());
        var before = await File.ReadAllBytesAsync(config);

        var withoutCache = await RunAsync(["install", "--containerd-config", config, "--prefix", directory.Combine("p"), "--cache-listen", "127.0.0.1:5050"], CancellationToken.None);
        var badSize = await RunAsync(["install", "--containerd-config", config, "--prefix", directory.Combine("p"), "--cache", "--cache-max-size", "lots"], CancellationToken.None);
        var badAddress = await RunAsync(["install", "--containerd-config", config, "--prefix", directory.Combine("p"), "--standalone", "--no-containerd-restart", "--skip-binaries",
            "--cache", "--cache-listen", "cache.example.com:5050"], CancellationToken.None);

        Assert.Equal(2, withoutCache.ExitCode);
        Assert.Contains("--cache-listen need --cache", withoutCache.StandardError, StringComparison.Ordinal);
        Assert.Equal(2, badSize.ExitCode);
        Assert.Contains("--cache-max-size", badSize.StandardError, StringComparison.Ordinal);
        Assert.Equal(1, badAddress.ExitCode);
        Assert.Contains("is not HOST:PORT with an IP address", badAddress.StandardError, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(config));
        Assert.False(Directory.Exists(directory.Combine("p")));
    }

    private static Dictionary<string, string?> Checks(string doctorJson)
    {
        using var json = JsonDocument.Parse(doctorJson);
        return json.RootElement.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("check").GetString()!, c => c.GetProperty("status").GetString());
    }

    private static async Task AssertNothingListensAsync(string address)
    {
        Assert.NotNull(await CacheService.ProbeAsync(address, CancellationToken.None));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Task<ProcessResult> RunAsync(string[] arguments, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "guestpull.dll"), .. arguments],
            new ProcessRunOptions { ThrowOnFailure = false, Timeout = TimeSpan.FromMinutes(4) }, cancellationToken);
}
