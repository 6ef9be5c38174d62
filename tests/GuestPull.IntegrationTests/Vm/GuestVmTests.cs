using System.Diagnostics;
using System.Text;
using GuestPull.Api.Agent;
using GuestPull.Api.Agent.V1;
using GuestPull.IntegrationTests.Agent;
using GuestPull.Testing;
using GuestPull.Testing.Traits;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace GuestPull.IntegrationTests.Vm;

/// <summary>
/// The guest image (Debian's kernel, the initramfs around the NativeAOT guestpull-agent) booted under
/// QEMU, its agent driven over ttrpc on a virtio-serial port as the shim will drive it.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class GuestVmTests : IClassFixture<BusyboxImageFixture>
{
    private readonly BusyboxImageFixture _image;
    private readonly ITestOutputHelper _output;

    public GuestVmTests(BusyboxImageFixture image, ITestOutputHelper output)
    {
        _image = image;
        _output = output;
    }

    [Fact]
    public async Task Agent_in_the_guest_answers_ttrpc_over_virtio_serial_and_the_vm_leaves_nothing_behind()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var guest = QemuGuest.Start(GuestImage.Locate());
        var processId = guest.ProcessId;
        var directory = guest.Directory;
        try
        {
            await using var agent = await guest.ConnectAgentAsync(TimeSpan.FromSeconds(60), timeout.Token);
            _output.WriteLine($"QEMU start -> first Check answered: {guest.Uptime.TotalSeconds:F2} s");

            var sequential = Stopwatch.StartNew();
            for (var i = 0; i < 1000; i++)
            {
                var health = await agent.CheckAsync(timeout.Token);
                Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
            }

            _output.WriteLine($"1000 sequential Checks: {sequential.Elapsed.TotalMilliseconds:F0} ms");

            var concurrent = Stopwatch.StartNew();
            var answers = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => agent.CheckAsync(timeout.Token)));
            Assert.All(answers, health => Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status));
            _output.WriteLine($"64 concurrent Checks: {concurrent.Elapsed.TotalMilliseconds:F0} ms");

            // The host side going away and coming back (a restarted shim): the guest sees a hang-up,
            // reopens its port and serves the next connection.
            await agent.DisposeAsync();
            var reconnect = Stopwatch.StartNew();
            await using var again = await guest.ConnectAgentAsync(TimeSpan.FromSeconds(30), timeout.Token);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await again.CheckAsync(timeout.Token)).Status);
            _output.WriteLine($"reconnect -> Check answered: {reconnect.Elapsed.TotalMilliseconds:F0} ms");
        }
        catch (Exception ex) when (ex is not XunitException)
        {
            throw new XunitException($"{ex.GetType().Name}: {ex.Message}\n--- guest console (last lines) ---\n{guest.ConsoleTail()}\n--- exception ---\n{ex}");
        }
        catch (XunitException ex)
        {
            throw new XunitException($"{ex.Message}\n--- guest console (last lines) ---\n{guest.ConsoleTail()}");
        }
        finally
        {
            await guest.DisposeAsync();
        }

        Assert.False(ProcessExists(processId), $"QEMU (pid {processId}) is still running");
        Assert.False(Directory.Exists(directory), $"{directory} was not removed");
    }

    [Fact]
    public async Task The_agent_in_the_guest_pulls_an_image_from_the_hosts_registry_and_runs_it_with_runc()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "vm" }, timeout.Token);
        var layout = _image.CopyLayoutTo(Path.Combine(Path.GetTempPath(), "guestpull-test-vm-layout-" + Guid.NewGuid().ToString("N")));
        try
        {
            await ImageBuilder.ConfigAsync(layout, BusyboxImageFixture.Tag, new ImageConfigOptions { Cmd = ["echo", "hello from the vm"] }, timeout.Token);
            await ImageBuilder.PushAsync(layout, BusyboxImageFixture.Tag, registry, "vm/hello:1", cancellationToken: timeout.Token);
        }
        finally
        {
            Directory.Delete(layout, recursive: true);
        }

        // The registry listens on the host's loopback; QEMU's user network shows the host as 10.0.2.2.
        var guestRegistry = "10.0.2.2:" + registry.Host[(registry.Host.LastIndexOf(':') + 1)..];
        var guest = QemuGuest.Start(GuestImage.Locate(), kernelArguments: $"guestpull.insecure_registries={guestRegistry}");
        try
        {
            await using var agent = await guest.ConnectAgentAsync(TimeSpan.FromSeconds(90), timeout.Token);
            await agent.CreateContainerAsync(new CreateContainerRequest
            {
                ContainerId = "sandbox1",
                OciSpecJson = AgentRequests.Spec("sandbox", []),
                Storages = { AgentRequests.GuestPullStorage("sandbox1", "pause") },
            }, timeout.Token);
            await agent.StartContainerAsync("sandbox1", timeout.Token);

            var pull = Stopwatch.StartNew();
            await agent.CreateContainerAsync(new CreateContainerRequest
            {
                ContainerId = "hello1",
                OciSpecJson = AgentRequests.Spec("container", []),
                Storages = { AgentRequests.GuestPullStorage("hello1", $"{guestRegistry}/vm/hello:1") },
            }, timeout.Token);
            await agent.StartContainerAsync("hello1", timeout.Token);
            Assert.Equal("hello from the vm\n", await ReadStdoutToEndAsync(agent, "hello1", timeout.Token));
            _output.WriteLine($"pull + create + start + output in the guest: {pull.Elapsed.TotalSeconds:F2} s");

            await registry.SyncAccessLogAsync(timeout.Token);
            Assert.True(await registry.CountBlobGetsAsync(null, timeout.Token) >= 2, "the guest fetched no blob");
        }
        catch (Exception ex) when (ex is not XunitException)
        {
            throw new XunitException($"{ex.GetType().Name}: {ex.Message}\n--- guest console (last lines) ---\n{guest.ConsoleTail()}\n--- exception ---\n{ex}");
        }
        catch (XunitException ex)
        {
            throw new XunitException($"{ex.Message}\n--- guest console (last lines) ---\n{guest.ConsoleTail()}");
        }
        finally
        {
            await guest.DisposeAsync();
        }
    }

    private static async Task<string> ReadStdoutToEndAsync(AgentClient agent, string containerId, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        while (true)
        {
            var response = await agent.ReadAsync(containerId, string.Empty, stderr: false, cancellationToken);
            if (response.Eof)
            {
                return text.ToString();
            }

            text.Append(response.Data.ToStringUtf8());
        }
    }

    private static bool ProcessExists(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
