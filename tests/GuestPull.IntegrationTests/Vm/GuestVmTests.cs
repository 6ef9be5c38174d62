using System.Diagnostics;
using GuestPull.Api.Agent.V1;
using GuestPull.Testing.Traits;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace GuestPull.IntegrationTests.Vm;

/// <summary>
/// The guest image (Debian's kernel, the initramfs around the NativeAOT guestpull-agent) booted under
/// QEMU, its agent driven over ttrpc on a virtio-serial port as the shim will drive it.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class GuestVmTests
{
    private readonly ITestOutputHelper _output;

    public GuestVmTests(ITestOutputHelper output) => _output = output;

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
