using Google.Protobuf.WellKnownTypes;
using GuestPull.Api.Containerd.Task.V2;
using GuestPull.Testing;
using GuestPull.Testing.Containerd;
using GuestPull.Testing.Traits;
using GuestPull.Ttrpc;

namespace GuestPull.Shim.Tests.Process;

/// <summary>The shim's events against a real containerd 1.6: its ttrpc Events/Forward accepts and decodes them.</summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class ShimWithContainerdTests
{
    private const string VolumeJson = """{"volume_type":"image_guest_pull","image_pull":{"metadata":{}}}""";

    [Fact]
    public async Task ContainerdDecodesTheForwardedTaskEvents()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var ct = timeout.Token;
        await using var containerd = await ContainerdInstance.StartAsync(new ContainerdOptions(), ct);
        await using var events = containerd.StartCtr(["events"]);
        await using var shim = await ShimHarness.CreateAsync(null, ct, containerd.TtrpcAddress);
        var sandboxId = "sb" + Guid.NewGuid().ToString("N")[..10];
        var bundle = shim.WriteBundle(sandboxId, ShimHarness.Spec(sandboxId, "sandbox", ["/pause"]));
        var address = await shim.StartShimAsync(sandboxId, bundle, ct);
        await using (var client = await TtrpcClient.ConnectAsync(address, cancellationToken: ct))
        {
            await ShimHarness.CallAsync<CreateTaskRequest, CreateTaskResponse>(client, "Create", new CreateTaskRequest { Id = sandboxId, Bundle = bundle, Rootfs = { ShimHarness.GuestPullRootfs(VolumeJson) } }, ct);
            await ShimHarness.CallAsync<StartRequest, StartResponse>(client, "Start", new StartRequest { Id = sandboxId }, ct);
            await ShimHarness.CallAsync<KillRequest, Empty>(client, "Kill", new KillRequest { Id = sandboxId, Signal = 9 }, ct);
            await ShimHarness.CallAsync<WaitRequest, WaitResponse>(client, "Wait", new WaitRequest { Id = sandboxId }, ct);
            await ShimHarness.CallAsync<DeleteRequest, DeleteResponse>(client, "Delete", new DeleteRequest { Id = sandboxId }, ct);
            await ShimHarness.CallAsync<ShutdownRequest, Empty>(client, "Shutdown", new ShutdownRequest { Id = sandboxId }, ct);
        }

        // ctr prints each event decoded from its Any; an undecodable one would print no fields.
        var exit = await events.WaitForLineAsync(line => line.Contains("/tasks/exit", StringComparison.Ordinal), TimeSpan.FromMinutes(2), ct);
        Assert.Contains(ShimHarness.Namespace, exit, StringComparison.Ordinal);
        Assert.Contains($"\"container_id\":\"{sandboxId}\"", exit, StringComparison.Ordinal);
        Assert.Contains("\"exit_status\":137", exit, StringComparison.Ordinal);
        var start = await events.WaitForLineAsync(line => line.Contains("/tasks/start", StringComparison.Ordinal), TimeSpan.FromMinutes(1), ct);
        Assert.Contains($"\"container_id\":\"{sandboxId}\"", start, StringComparison.Ordinal);
        var delete = await events.WaitForLineAsync(line => line.Contains("/tasks/delete", StringComparison.Ordinal), TimeSpan.FromMinutes(1), ct);
        Assert.Contains($"\"container_id\":\"{sandboxId}\"", delete, StringComparison.Ordinal);
        await shim.WaitUntilCleanAsync(ct);
    }
}
