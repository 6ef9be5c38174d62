using Grpc.Core;
using GuestPull.Api.Cri.V1;
using GuestPull.Testing;
using GuestPull.Testing.Cri;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Cri;

/// <summary>
/// Encrypted images through the whole CRI path: skopeo encrypts busybox for a JWE recipient; the shim's
/// <c>[agent]</c> table gives the agent the RSA private key (<c>decryption_keys</c>), so a pod of the image
/// encrypted for that key runs, and a pod of the image encrypted for another recipient fails at
/// StartContainer with the agent's error naming the layer, and goes away without a trace.
/// </summary>
[Trait(Requires.Trait, Requires.Components)]
[Collection(CriCollection.Name)]
public sealed class EncryptedImagePodTests(EncryptedImagePodTests.KeyedNodeFixture fixture) : IClassFixture<EncryptedImagePodTests.KeyedNodeFixture>
{
    private CriNode Node => fixture.Node;

    [Fact]
    public async Task APodOfAnImageEncryptedForTheAgentsKey_Runs()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var image = await fixture.PushEncryptedImageAsync("enc-rsa", fixture.Keys.RsaPublic, timeout.Token);
        var podConfig = Node.PodConfig("encrypted");
        var podId = (await Node.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = podConfig, RuntimeHandler = CriNode.Handler }, cancellationToken: timeout.Token)).PodSandboxId;
        try
        {
            await Node.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = image }, SandboxConfig = podConfig }, cancellationToken: timeout.Token);
            var containerId = (await Node.Runtime.CreateContainerAsync(
                new CreateContainerRequest { PodSandboxId = podId, Config = CriNode.ContainerConfig("encrypted", image, "sh", "-c", "echo decrypted in the guest"), SandboxConfig = podConfig },
                cancellationToken: timeout.Token)).ContainerId;
            await Node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = containerId }, cancellationToken: timeout.Token);
            var status = await Node.WaitForExitAsync(containerId, timeout.Token);
            Assert.True(status.ExitCode == 0, $"exit {status.ExitCode}\n{Node.Describe()}");
            Assert.Equal(["decrypted in the guest"], CriNode.ReadLogLines(status.LogPath));
            Assert.Empty(HostTraces.FilesUnder(Path.Combine(Node.SnapshotterRoot, "snapshots")));
        }
        finally
        {
            await Node.RemovePodAsync(podId, timeout.Token);
        }
    }

    [Fact]
    public async Task APodOfAnImageEncryptedForAnotherRecipient_FailsStartContainer_NamingTheLayer_AndGoesAway()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var token = timeout.Token;
        var image = await fixture.PushEncryptedImageAsync("enc-second", fixture.Keys.SecondPublic, token);
        var podConfig = Node.PodConfig("no-key");
        var podId = (await Node.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = podConfig, RuntimeHandler = CriNode.Handler }, cancellationToken: token)).PodSandboxId;
        string detail;
        try
        {
            await Node.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = image }, SandboxConfig = podConfig }, cancellationToken: token);
            var containerId = (await Node.Runtime.CreateContainerAsync(
                new CreateContainerRequest { PodSandboxId = podId, Config = CriNode.ContainerConfig("no-key", image, "true"), SandboxConfig = podConfig },
                cancellationToken: token)).ContainerId;
            var error = await Record.ExceptionAsync(() => Node.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = containerId }, cancellationToken: token).ResponseAsync);
            Assert.True(error is RpcException, $"StartContainer succeeded without the key\n{Node.Describe()}");
            detail = ((RpcException)error).Status.Detail;
        }
        finally
        {
            await Node.RemovePodAsync(podId, token);
        }

        using var manifest = System.Text.Json.JsonDocument.Parse(await Skopeo.InspectRawAsync(Node.Registry, "enc-second:1", cancellationToken: token));
        // Every layer is encrypted for the other recipient: the error names the first the agent cannot open.
        var layers = manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!).ToList();
        Assert.True(layers.Any(layer => detail.Contains(layer, StringComparison.Ordinal)), $"no layer digest in the error:\n{detail}");
        Assert.False(Directory.Exists(Path.Combine(Node.SharedRoot, podId)));
        Assert.Empty(await HostTraces.WaitUntilGoneAsync(() => HostTraces.ProcessesMentioning(podId), token));
    }

    /// <summary>A CRI node whose shim gives the agent the test's RSA private key.</summary>
    public sealed class KeyedNodeFixture : CriNodeFixture
    {
        private protected override bool GivesTheAgentAKey => true;
    }
}
