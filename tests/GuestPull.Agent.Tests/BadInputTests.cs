using System.Text.Json.Nodes;
using GuestPull.Api.Agent.V1;
using GuestPull.Agent.Tests.Support;
using GuestPull.Testing;
using GuestPull.Testing.Traits;
using GuestPull.Ttrpc;

namespace GuestPull.Agent.Tests;

/// Every refused CreateContainer names the problem and leaves no bundle and no container behind.
[Trait(Requires.Trait, Requires.Components)]
[Collection(AgentCollection.Name)]
public sealed class BadInputTests(AgentEnvironment environment)
{
    [Fact]
    public Task UnknownStorageDriver_IsInvalidArgument() =>
        AssertRefusedAsync(
            AgentClient.GuestPull("bad-driver", environment.HelloImage, environment.BundleRoot, driver: "virtio-fs"),
            TtrpcStatusCode.InvalidArgument,
            "unsupported storage driver \"virtio-fs\"");

    [Fact]
    public Task ImageThatDoesNotExist_IsNotFound() =>
        AssertRefusedAsync(
            AgentClient.GuestPull("bad-image", $"{environment.Registry.Host}/test/absent:latest", environment.BundleRoot),
            TtrpcStatusCode.NotFound,
            "test/absent");

    [Fact]
    public Task MissingImageName_IsInvalidArgument() =>
        AssertRefusedAsync(
            AgentClient.GuestPull("no-image", string.Empty, environment.BundleRoot),
            TtrpcStatusCode.InvalidArgument,
            "Failed to get image name from annotations");

    [Fact]
    public async Task MissingSource_FallsBackToTheImageNameAnnotation()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var spec = AgentClient.Spec(annotations: new Dictionary<string, string> { ["io.kubernetes.cri.image-name"] = environment.HelloImage });
        await environment.Client.CreateAsync(AgentClient.GuestPull("annotated", string.Empty, environment.BundleRoot, spec), timeout.Token);
        var created = Assert.Single((await environment.Client.ListAsync(timeout.Token)).Containers, c => c.ContainerId == "annotated");
        Assert.Equal(environment.HelloImage, created.Image);
        await environment.Client.RemoveAsync("annotated", timeout.Token);
        Assert.False(Directory.Exists(environment.BundleOf("annotated")));
    }

    [Fact]
    public Task NoStorage_WithoutAHostRootfsRoot_IsInvalidArgument() =>
        AssertRefusedAsync(
            new CreateContainerRequest { ContainerId = "no-storage", OciSpecJson = AgentClient.Spec() },
            TtrpcStatusCode.InvalidArgument,
            "takes no rootfs from the host (host_rootfs_root is not set)");

    [Fact]
    public Task MalformedSpec_IsInvalidArgument() =>
        AssertRefusedAsync(
            AgentClient.GuestPull("bad-spec", environment.HelloImage, environment.BundleRoot, spec: "{\"process\": {\"args\": [\"sh\""),
            TtrpcStatusCode.InvalidArgument,
            "oci_spec_json is not valid JSON");

    [Fact]
    public Task MalformedDriverOption_NamesTheOption() =>
        AssertRefusedAsync(
            AgentClient.GuestPull("bad-option", environment.HelloImage, environment.BundleRoot, driverOption: "image_guest_pull={\"metadata\":"),
            TtrpcStatusCode.InvalidArgument,
            "driver option \"image_guest_pull\" is not valid JSON");

    [Fact]
    public Task MountPointOutsideTheBundle_IsInvalidArgument()
    {
        var request = AgentClient.GuestPull("bad-mount", environment.HelloImage, environment.BundleRoot);
        request.Storages[0].MountPoint = "/elsewhere/rootfs";
        return AssertRefusedAsync(request, TtrpcStatusCode.InvalidArgument, "mount_point \"/elsewhere/rootfs\"");
    }

    [Fact]
    public Task ContainerIdThatEscapesTheBundleRoot_IsInvalidArgument() =>
        AssertRefusedAsync(
            AgentClient.GuestPull("../escape", environment.HelloImage, environment.BundleRoot),
            TtrpcStatusCode.InvalidArgument,
            "container_id \"../escape\" is not valid");

    [Fact]
    public async Task TamperedLayer_IsRefused_AndNothingIsKept()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = timeout.Token;
        var layout = Path.Combine(environment.Scratch, "tampered-layout");
        await ImageBuilder.BuildBusyboxAsync(layout, "t", new ImageConfigOptions { Cmd = ["echo", "tampered"] }, ct);
        await ImageBuilder.AddLayerAsync(layout, "t", root => File.WriteAllText(Path.Combine(root, "unique"), Guid.NewGuid().ToString()), ct);
        var manifest = JsonNode.Parse(ImageBuilder.ReadBlob(layout, ImageBuilder.GetDigest(layout, "t")))!;
        var topLayer = (string)manifest["layers"]!.AsArray()[^1]!["digest"]!;
        await ImageBuilder.PushAsync(layout, "t", environment.Registry, "test/tampered:latest", cancellationToken: ct);
        environment.Registry.Storage.TamperBlob(topLayer);

        var layersBefore = (await environment.Agent.Store.ListLayersAsync(ct)).Count;
        var error = await AssertRefusedAsync(
            AgentClient.GuestPull("tampered", $"{environment.Registry.Host}/test/tampered:latest", environment.BundleRoot),
            TtrpcStatusCode.DataLoss,
            "test/tampered");
        Assert.Contains(topLayer, error.StatusMessage, StringComparison.Ordinal);
        // A sibling layer cancelled by the failure deletes its partial directory on its own task, which
        // may finish just after the pull reported the error: wait for it rather than race it.
        var tmp = Path.Combine(environment.ImageRoot, "tmp");
        while (Directory.EnumerateFileSystemEntries(tmp).Any() && !ct.IsCancellationRequested)
        {
            await Task.Delay(100, CancellationToken.None);
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp));
        Assert.True((await environment.Agent.Store.ListLayersAsync(ct)).Count <= layersBefore + 1, "at most the untouched base layer was kept");
    }

    [Fact]
    public async Task SameContainerIdTwice_IsAlreadyExists_AndTheFirstStays()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ct = timeout.Token;
        var annotations = new Dictionary<string, string> { ["io.kubernetes.cri.container-type"] = "sandbox" };
        var request = AgentClient.GuestPull("twice", "pause", environment.BundleRoot, AgentClient.Spec(annotations: annotations));
        await environment.Client.CreateAsync(request, ct);
        try
        {
            var error = await Assert.ThrowsAsync<TtrpcException>(() => environment.Client.CreateAsync(request, ct));
            Assert.Equal(TtrpcStatusCode.AlreadyExists, error.StatusCode);
            Assert.Contains("twice", error.StatusMessage, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(environment.BundleOf("twice"), "config.json")), "the first container's bundle is untouched");
        }
        finally
        {
            await environment.Client.RemoveAsync("twice", ct);
        }
    }

    [Fact]
    public async Task CallsOnAnUnknownContainer_AreNotFound()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var start = await Assert.ThrowsAsync<TtrpcException>(() => environment.Client.StartAsync("nobody", timeout.Token));
        Assert.Equal(TtrpcStatusCode.NotFound, start.StatusCode);
        Assert.Contains("\"nobody\" does not exist", start.StatusMessage, StringComparison.Ordinal);
        var read = await Assert.ThrowsAsync<TtrpcException>(() => environment.Client.ReadToEndAsync("ReadStdout", "nobody", string.Empty, timeout.Token));
        Assert.Equal(TtrpcStatusCode.NotFound, read.StatusCode);
    }

    private async Task<TtrpcException> AssertRefusedAsync(CreateContainerRequest request, TtrpcStatusCode expected, string messagePart)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var error = await Assert.ThrowsAsync<TtrpcException>(() => environment.Client.CreateAsync(request, timeout.Token));
        Assert.Equal(expected, error.StatusCode);
        Assert.Contains(messagePart, error.StatusMessage, StringComparison.Ordinal);
        Assert.DoesNotContain((await environment.Client.ListAsync(timeout.Token)).Containers, c => c.ContainerId == request.ContainerId);
        Assert.False(Directory.Exists(environment.BundleOf(request.ContainerId)), "no bundle is left behind");
        // The collection runs one test at a time and each removes what it made: nothing else may be there.
        Assert.Empty(Directory.EnumerateFileSystemEntries(environment.BundleRoot));
        return error;
    }
}
