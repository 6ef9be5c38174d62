using System.Text;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Fixtures;

[Trait(Requires.Trait, Requires.Components)]
public sealed class ProcessRunnerTests
{
    [Fact]
    public async Task RunAsync_CapturesOutputAndPassesArgumentsVerbatim()
    {
        var result = await ProcessRunner.RunAsync("/bin/sh", ["-c", "printf '%s|' \"$@\"; echo err >&2", "sh", "a b", "$HOME", "'q'"]);

        Assert.Equal("a b|$HOME|'q'|", result.StandardOutput);
        Assert.Equal("err\n", result.StandardError);
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task RunAsync_FailureThrowsWithExitCodeAndStderr()
    {
        var error = await Assert.ThrowsAsync<ProcessFailedException>(
            () => ProcessRunner.RunAsync("/bin/sh", ["-c", "echo broken thing >&2; exit 3"]));

        Assert.Equal(3, error.ExitCode);
        Assert.Contains("exited with code 3", error.Message);
        Assert.Contains("broken thing", error.Message);
    }

    [Fact]
    public async Task RunAsync_WithoutThrowOnFailureReturnsExitCode()
    {
        var result = await ProcessRunner.RunAsync("/bin/sh", ["-c", "exit 7"], new ProcessRunOptions { ThrowOnFailure = false });

        Assert.Equal(7, result.ExitCode);
    }

    [Fact]
    public async Task RunAsync_FeedsStdinAndEnvironment()
    {
        var result = await ProcessRunner.RunAsync("/bin/sh", ["-c", "cat; printf %s \"$GUESTPULL_X\""], new ProcessRunOptions
        {
            StandardInput = Encoding.UTF8.GetBytes("from stdin;"),
            Environment = new Dictionary<string, string?> { ["GUESTPULL_X"] = "from env" },
        });

        Assert.Equal("from stdin;from env", result.StandardOutput);
    }

    [Fact]
    public async Task RunAsync_TimeoutKillsTheProcess()
    {
        using var directory = TempDirectory.Create("runner");
        var pidFile = directory.Combine("pid");

        var error = await Assert.ThrowsAsync<TimeoutException>(() => ProcessRunner.RunAsync(
            "/bin/sh", ["-c", $"echo $$ > {pidFile}; exec sleep 600"], new ProcessRunOptions { Timeout = TimeSpan.FromSeconds(2) }));

        Assert.Contains("did not finish", error.Message);
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(Directory.Exists($"/proc/{pid}"), $"process {pid} is still alive");
    }

    [Fact]
    public async Task StartBackground_DisposeKillsTheWholeTree()
    {
        using var directory = TempDirectory.Create("runner");
        var pidFile = directory.Combine("child");
        var daemon = ProcessRunner.StartBackground("/bin/sh", ["-c", $"sleep 600 & echo $! > {pidFile}; echo ready; wait"]);
        await daemon.WaitForLineAsync(line => line == "ready", TimeSpan.FromSeconds(30), CancellationToken.None);
        var child = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Directory.Exists($"/proc/{child}"));

        var parent = daemon.Id;

        await daemon.DisposeAsync();

        await WaitUntilGoneAsync(parent);
        await WaitUntilGoneAsync(child);
    }

    [Fact]
    public void TempDirectory_IsUnderTmpAndDeletedOnDispose()
    {
        string path;
        using (var directory = TempDirectory.Create("smoke"))
        {
            path = directory.Path;
            File.WriteAllText(directory.Combine("file"), "x");
            Assert.StartsWith(Path.Combine(Path.GetTempPath(), "guestpull-test-smoke-"), path);
        }

        Assert.False(Directory.Exists(path));
    }

    [Fact]
    public void FreePort_CanBeBoundAndIsNotHandedOutTwice()
    {
        var first = FreePort.Get();
        var second = FreePort.Get();

        Assert.NotEqual(first, second);
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, first);
        listener.Start();
    }

    // A killed orphan is reaped by init, which may take a moment; poll instead of asserting a time.
    private static async Task WaitUntilGoneAsync(int pid)
    {
        for (var i = 0; i < 300 && File.Exists($"/proc/{pid}/stat") && !IsZombie(pid); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(!File.Exists($"/proc/{pid}/stat") || IsZombie(pid), $"process {pid} survived");
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }
}
