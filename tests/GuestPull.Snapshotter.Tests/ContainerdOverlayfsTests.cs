using GuestPull.Testing;
using GuestPull.Testing.Containerd;
using GuestPull.Testing.Traits;

namespace GuestPull.Snapshotter.Tests;

/// <summary>
/// Real containerd 1.6 with `[proxy_plugins.guestpull]` pointing at the snapshotter (overlayfs driver):
/// ctr pulls a busybox image built in the test from a docker-registry and runs it with runc. Needs root.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class ContainerdOverlayfsTests(BusyboxImageFixture busybox) : IClassFixture<BusyboxImageFixture>
{
    [Fact]
    public async Task CtrPullAndRun_ThroughTheSnapshotter_SurvivesARestart_AndPrintsTheCommandsOutput()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var token = timeout.Token;
        using var directory = TempDirectory.Create("snapshotter-ctr");
        await using var registry = await RegistryInstance.StartAsync(token);
        var image = $"{registry.Host}/busybox:latest";
        await ImageBuilder.PushAsync(busybox.LayoutDirectory, BusyboxImageFixture.Tag, registry, "busybox:latest", cancellationToken: token);
        var options = new ProcessRunOptions { Timeout = TimeSpan.FromMinutes(4), ThrowOnFailure = false };

        var first = await SnapshotterServer.StartAsync(SnapshotterDriver.Overlayfs, directory);
        SnapshotterServer? second = null;
        try
        {
            await using var containerd = await ContainerdInstance.StartAsync(
                new ContainerdOptions
                {
                    ExtraConfig = $"""
                        [proxy_plugins.guestpull]
                          type = "snapshot"
                          address = "{first.Address}"
                        """,
                },
                token);

            var pull = await containerd.RunCtrAsync(["images", "pull", "--plain-http", "--snapshotter", "guestpull", image], "default", options, token);
            Assert.True(pull.Succeeded, $"ctr pull failed: {pull.StandardError}\n{containerd.DescribeLog()}");
            var snapshots = await containerd.RunCtrAsync(["snapshots", "--snapshotter", "guestpull", "ls"], "default", options, token);
            Assert.Contains("Committed", snapshots.StandardOutput, StringComparison.OrdinalIgnoreCase);

            // containerd keeps working across a snapshotter restart: same root, same socket.
            await first.StopAsync();
            second = await SnapshotterServer.StartAsync(SnapshotterDriver.Overlayfs, directory);
            await WaitUntilContainerdReconnectsAsync(containerd, options, token);

            var id = "gp-" + Guid.NewGuid().ToString("N")[..12];
            var run = await containerd.RunCtrAsync(
                ["run", "--rm", "--snapshotter", "guestpull", image, id, "sh", "-c", "echo hello-from-guestpull; ls /bin/busybox"],
                "default", options, token);
            Assert.True(run.Succeeded, $"ctr run failed: {run.StandardError}\n{containerd.DescribeLog()}");
            Assert.Contains("hello-from-guestpull", run.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("/bin/busybox", run.StandardOutput, StringComparison.Ordinal);

            // Removing the image lets containerd's GC remove the snapshots through the snapshotter.
            var remove = await containerd.RunCtrAsync(["images", "rm", "--sync", image], "default", options, token);
            Assert.True(remove.Succeeded, $"ctr images rm failed: {remove.StandardError}");
            var left = await containerd.RunCtrAsync(["snapshots", "--snapshotter", "guestpull", "ls"], "default", options, token);
            Assert.DoesNotContain("Committed", left.StandardOutput, StringComparison.OrdinalIgnoreCase);
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(second.Root, "snapshots")));
        }
        finally
        {
            await first.StopAsync();
            if (second is not null)
            {
                await second.StopAsync();
            }
        }
    }

    // containerd's gRPC client redials with backoff after the socket went away; calls made meanwhile
    // fail Unavailable. That is containerd's behaviour, so wait for it rather than assert on it.
    private static async Task WaitUntilContainerdReconnectsAsync(ContainerdInstance containerd, ProcessRunOptions options, CancellationToken token)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            var probe = await containerd.RunCtrAsync(["snapshots", "--snapshotter", "guestpull", "ls"], "default", options, token);
            if (probe.Succeeded && probe.StandardOutput.Contains("Committed", StringComparison.OrdinalIgnoreCase))
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, $"containerd did not reach the restarted snapshotter: {probe.StandardError}");
            await Task.Delay(TimeSpan.FromMilliseconds(500), token);
        }
    }
}
