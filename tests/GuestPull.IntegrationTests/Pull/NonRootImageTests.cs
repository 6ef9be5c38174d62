using System.Text.Json.Nodes;
using GuestPull.IntegrationTests.Infrastructure;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Pull;

/// <summary>
/// An image whose user is not root (User 1000, no capabilities at all) runs from a bundle that
/// <c>guestpull pull --bundle</c> wrote, under the real runc, in both bundle modes: the rootfs root
/// is searchable (0755 from the layer's <c>./</c> entry) while the bundle directory stays 0700.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class NonRootImageTests : IClassFixture<BusyboxImageFixture>
{
    private readonly BusyboxImageFixture _image;

    public NonRootImageTests(BusyboxImageFixture image) => _image = image;

    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(4)).Token;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ANonRootUserRunsFromAPulledBundleUnderRunc(bool flatten)
    {
        await using var registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "nonroot" }, Timeout);
        using var work = TempDirectory.Create("nonroot-pull");
        var layout = _image.CopyLayoutTo(work.Combine("layout"));
        await ImageBuilder.ConfigAsync(layout, BusyboxImageFixture.Tag, new ImageConfigOptions { User = "1000", Cmd = ["sh", "-c", "id -u && ls / >/dev/null && echo listed"] }, Timeout);
        await ImageBuilder.PushAsync(layout, BusyboxImageFixture.Tag, registry, "nonroot/app:1", cancellationToken: Timeout);

        var bundle = work.Combine("bundle");
        string[] args = ["pull", "--root", work.Combine("store"), "--insecure-registry", registry.Host, "--bundle", bundle, registry.Host + "/nonroot/app:1"];
        CliAssert.Succeeded(await GuestPullCli.RunAsync(flatten ? [.. args, "--flatten"] : args));
        try
        {
            // No capabilities: nothing may paper over a rootfs the user cannot search.
            var spec = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(bundle, "config.json"), Timeout))!;
            Assert.Equal(1000u, (uint)spec["process"]!["user"]!["uid"]!);
            spec["process"]!["capabilities"] = new JsonObject { ["bounding"] = new JsonArray(), ["effective"] = new JsonArray(), ["permitted"] = new JsonArray() };
            await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), spec.ToJsonString(), Timeout);

            var runcRoot = work.CreateSubdirectory("runc");
            var id = "nonroot-" + Guid.NewGuid().ToString("N")[..12];
            var run = await ProcessRunner.RunAsync(
                "runc",
                ["--root", runcRoot, "run", "--bundle", bundle, id],
                new ProcessRunOptions { ThrowOnFailure = false, Timeout = TimeSpan.FromMinutes(2) },
                Timeout);
            await ProcessRunner.RunAsync("runc", ["--root", runcRoot, "delete", "--force", id], new ProcessRunOptions { ThrowOnFailure = false }, Timeout);

            Assert.True(run.ExitCode == 0, $"runc exited with {run.ExitCode}: {run.StandardError}{run.StandardOutput}");
            Assert.Equal("1000\nlisted\n", run.StandardOutput);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(bundle));
            var root = TreeSnapshot.Describe(Path.Combine(bundle, "rootfs"));
            Assert.Equal((0x1EDu, 0u, 0u), (root.Permissions, root.Uid, root.Gid));
        }
        finally
        {
            CliAssert.Succeeded(await GuestPullCli.RunAsync("rm-bundle", bundle));
        }
    }
}
