using System.Security.Cryptography;
using System.Text;
using GuestPull.Shim.Configuration;
using GuestPull.Shim.Daemon;

namespace GuestPull.Shim.Tests.Unit;

public sealed class ShimLayoutTests
{
    [Fact]
    public void TheSocketIsTheHashOfAddressNamespaceAndPod()
    {
        var layout = ShimLayout.For(new ShimConfig(), "/run/containerd/containerd.sock", "k8s.io", "pod1");

        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("/run/containerd/containerd.sock/k8s.io/pod1")));
        Assert.Equal("/run/containerd/s/" + expected, layout.Socket);
        Assert.Equal("unix:///run/containerd/s/" + expected, layout.Address);
        Assert.Equal("/run/guestpull/shim/k8s.io/pod1", layout.StateDirectory);
        Assert.Equal("/run/guestpull/shim/k8s.io/pod1/agent.sock", layout.AgentSocket);
    }

    [Fact]
    public void ContainersOfOnePodShareTheSocketAndOtherPodsDoNot()
    {
        var config = new ShimConfig();
        var a = ShimLayout.For(config, "/c.sock", "k8s.io", "pod1");
        var b = ShimLayout.For(config, "/c.sock", "k8s.io", "pod1");
        var otherPod = ShimLayout.For(config, "/c.sock", "k8s.io", "pod2");
        var otherNamespace = ShimLayout.For(config, "/c.sock", "default", "pod1");
        var otherContainerd = ShimLayout.For(config, "/other.sock", "k8s.io", "pod1");

        Assert.Equal(a.Socket, b.Socket);
        Assert.Equal(4, new[] { a.Socket, otherPod.Socket, otherNamespace.Socket, otherContainerd.Socket }.Distinct().Count());
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("")]
    public void PodIdsThatCouldLeaveTheStateRootAreRefused(string group)
    {
        var ex = Assert.Throws<ShimException>(() => ShimLayout.For(new ShimConfig(), "/c.sock", "k8s.io", group));
        Assert.Contains("invalid sandbox id", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASocketPathTooLongForSunPathIsRefused()
    {
        var config = new ShimConfig { StateRoot = "/" + new string('x', 100) };

        var ex = Assert.Throws<ShimException>(() => ShimLayout.For(config, "/c.sock", "k8s.io", "pod1"));
        Assert.Contains("longer than 107 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PodGroupingUsesTheSandboxIdAnnotation()
    {
        var spec = System.Text.Json.Nodes.JsonNode.Parse("""{"annotations":{"io.kubernetes.cri.sandbox-id":"pod1"}}""")!.AsObject();

        Assert.Equal("pod1", PodGrouping.GroupOf("c1", spec));
        Assert.Equal("c1", PodGrouping.GroupOf("c1", null));
        Assert.Equal("c1", PodGrouping.GroupOf("c1", []));
    }

    [Fact]
    public void CrioSandboxesAndTheirContainersAreRecognisedAsKataDoes()
    {
        var sandbox = System.Text.Json.Nodes.JsonNode.Parse("""{"annotations":{"io.kubernetes.cri-o.ContainerType":"sandbox","io.kubernetes.cri-o.SandboxID":"pod2"}}""")!.AsObject();
        var container = System.Text.Json.Nodes.JsonNode.Parse("""{"annotations":{"io.kubernetes.cri-o.ContainerType":"container","io.kubernetes.cri-o.SandboxID":"pod2"}}""")!.AsObject();

        Assert.True(PodGrouping.IsSandboxContainer(sandbox));
        Assert.False(PodGrouping.IsSandboxContainer(container));
        Assert.Equal("pod2", PodGrouping.GroupOf("c2", container));
    }

    [Fact]
    public void ContainerdsAnnotationsWinOverCriOs()
    {
        var spec = System.Text.Json.Nodes.JsonNode.Parse("""{"annotations":{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri-o.ContainerType":"sandbox","io.kubernetes.cri.sandbox-id":"a","io.kubernetes.cri-o.SandboxID":"b"}}""")!.AsObject();

        Assert.False(PodGrouping.IsSandboxContainer(spec));
        Assert.Equal("a", PodGrouping.GroupOf("c", spec));
    }
}
