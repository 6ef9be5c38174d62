using GuestPull.Testing.Containerd;
using GuestPull.Testing.Traits;

namespace GuestPull.Ttrpc.Tests;

/// The ContainerdInstance fixture itself, which other test projects reuse.
[Trait(Requires.Trait, Requires.Components)]
public sealed class ContainerdInstanceTests
{
    [Fact]
    public async Task WithCri_StartsWithTheCriPluginLoaded_AndCleansUpOnDispose()
    {
        var instance = await ContainerdInstance.StartAsync(new ContainerdOptions
        {
            EnableCri = true,
            SandboxImage = "localhost:5000/pause:3.9",
            CriSettings = new Dictionary<string, string> { ["disable_tcp_service"] = "true" },
        });
        var directory = instance.Layout.Directory;
        var pid = instance.ProcessId;
        try
        {
            var plugins = await instance.RunCtrAsync(["plugins", "ls"]);
            Assert.Matches(@"io\.containerd\.grpc\.v1\s+cri\s+.*\sok", plugins.StandardOutput);
            var config = await File.ReadAllTextAsync(instance.Layout.ConfigPath);
            Assert.Contains("sandbox_image = \"localhost:5000/pause:3.9\"", config, StringComparison.Ordinal);
            Assert.Contains("restrict_oom_score_adj = true", config, StringComparison.Ordinal);
        }
        finally
        {
            await instance.DisposeAsync();
        }

        Assert.False(Directory.Exists(directory), $"{directory} was not removed");
        Assert.False(Directory.Exists($"/proc/{pid}"), $"containerd (pid {pid}) is still running");
    }

    [Fact]
    public async Task WithoutCri_DisablesThePlugin()
    {
        await using var instance = await ContainerdInstance.StartAsync();

        var plugins = await instance.RunCtrAsync(["plugins", "ls"]);

        Assert.DoesNotMatch(@"io\.containerd\.grpc\.v1\s+cri\s+.*\sok", plugins.StandardOutput);
        Assert.True(File.Exists(instance.TtrpcAddress));
    }
}
