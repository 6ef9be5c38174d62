using System.Net;
using GuestPull.Cache;
using GuestPull.Shim.Vm;
using GuestPull.Testing;
using GuestPull.Testing.Traits;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestPull.Shim.Tests.Vm;

/// <summary>
/// The relay a VM in a pod's own network namespace reaches the node cache through: a real cache on the
/// node's loopback, a real network namespace (unshare), and a client inside it (curl under nsenter)
/// that asks the namespace's loopback, as QEMU's user networking does for the guest's 10.0.2.2.
/// </summary>
[Trait(Requires.Trait, Requires.Root)]
public sealed class NodeCacheRelayTests
{
    [Fact]
    public async Task AClientInThePodsNamespaceReachesTheNodeCacheOnlyThroughTheRelay()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var work = TempDirectory.Create("node-cache-relay");
        await using var cache = await CacheHost.StartAsync(
            new CacheOptions { Listen = "127.0.0.1:0", Root = work.Combine("cache"), LogLevel = Microsoft.Extensions.Logging.LogLevel.Warning },
            timeout.Token);
        var node = IPEndPoint.Parse(cache.Address);
        // A pod's network namespace as CNI leaves it: its own loopback, up.
        using var pod = System.Diagnostics.Process.Start("unshare", ["--net", "sh", "-c", "ip link set lo up && exec sleep 300"])!;
        try
        {
            var netns = $"/proc/{pod.Id}/ns/net";
            await WaitForNamespaceAsync(pod.Id, timeout.Token);
            var url = $"http://127.0.0.1:{node.Port}/v2/";

            var before = await CurlInAsync(netns, url, timeout.Token);
            Assert.NotEqual(0, before.ExitCode); // the node's loopback is not the pod's

            await using (var relay = NodeCacheRelay.Start(netns, node, NullLogger.Instance))
            {
                Assert.Equal(node.Port, relay.PodEndpoint.Port);
                for (var i = 0; i < 3; i++)
                {
                    var through = await CurlInAsync(netns, url, timeout.Token);
                    Assert.True(through.ExitCode == 0, through.StandardError);
                    Assert.Equal("{}", through.StandardOutput);
                }

                var tag = await CurlInAsync(netns, $"http://127.0.0.1:{node.Port}/v2/registry.example.com/app/manifests/latest", timeout.Token);
                Assert.Contains("MANIFEST_UNKNOWN", tag.StandardOutput, StringComparison.Ordinal);
            }

            var after = await CurlInAsync(netns, url, timeout.Token);
            Assert.NotEqual(0, after.ExitCode); // the relay's listener went with it
        }
        finally
        {
            pod.Kill();
            await pod.WaitForExitAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void ANamespaceThatDoesNotExistIsNamed()
    {
        var error = Assert.ThrowsAny<IOException>(() => NodeCacheRelay.Start("/proc/0/ns/net-missing", new IPEndPoint(IPAddress.Loopback, 5050), NullLogger.Instance));

        Assert.Contains("/proc/0/ns/net-missing", error.Message, StringComparison.Ordinal);
    }

    private static Task<ProcessResult> CurlInAsync(string netns, string url, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync("nsenter", [$"--net={netns}", "--", "curl", "-sS", "--max-time", "10", url],
            new ProcessRunOptions { ThrowOnFailure = false, Timeout = TimeSpan.FromSeconds(30) }, cancellationToken);

    // unshare has made the namespace once the process is sleep: its namespace differs from ours.
    private static async Task WaitForNamespaceAsync(int pid, CancellationToken cancellationToken)
    {
        var ours = new FileInfo("/proc/self/ns/net").LinkTarget;
        while (true)
        {
            var theirs = new FileInfo($"/proc/{pid}/ns/net").LinkTarget;
            var command = await File.ReadAllTextAsync($"/proc/{pid}/comm", cancellationToken);
            if (theirs != ours && command.Trim() == "sleep")
            {
                return;
            }

            await Task.Delay(50, cancellationToken);
        }
    }
}
