namespace GuestPull.Shim.Tests.Unit;

public sealed class ShimArgumentsTests
{
    [Fact]
    public void ParsesContainerdsStartCommandLine()
    {
        var args = ShimArguments.Parse(["-namespace", "k8s.io", "-address", "/run/containerd/containerd.sock", "-publish-binary", "/usr/bin/containerd", "-id", "abc", "-debug", "start"]);

        Assert.Equal("k8s.io", args.Namespace);
        Assert.Equal("/run/containerd/containerd.sock", args.Address);
        Assert.Equal("/usr/bin/containerd", args.PublishBinary);
        Assert.Equal("abc", args.Id);
        Assert.True(args.Debug);
        Assert.Equal(ShimAction.Start, args.Action);
    }

    [Fact]
    public void ParsesDeleteWithBundleAndEqualsForm()
    {
        var args = ShimArguments.Parse(["--namespace=default", "-address=/a.sock", "-id", "c1", "-bundle", "/run/b", "delete"]);

        Assert.Equal("default", args.Namespace);
        Assert.Equal("/a.sock", args.Address);
        Assert.Equal("/run/b", args.Bundle);
        Assert.False(args.Debug);
        Assert.Equal(ShimAction.Delete, args.Action);
    }

    [Fact]
    public void ServeArgumentsRoundTrip()
    {
        var start = ShimArguments.Parse(["-namespace", "ns", "-address", "/a", "-id", "c1", "-bundle", "/b", "start"]);

        var serve = ShimArguments.Parse(start.ForServe("/s/sock", "pod1"));

        Assert.Equal(ShimAction.Serve, serve.Action);
        Assert.Equal("/s/sock", serve.Socket);
        Assert.Equal("pod1", serve.Group);
        Assert.Equal("c1", serve.Id);
        Assert.Equal("/b", serve.Bundle);
    }

    [Theory]
    [InlineData(new[] { "-namespace", "ns", "-id", "x" }, "no action")]
    [InlineData(new[] { "-namespace", "ns", "-id", "x", "stop" }, "unknown action \"stop\"")]
    [InlineData(new[] { "-namespace", "ns", "-id", "x", "-bogus", "1", "start" }, "unknown flag \"-bogus\"")]
    [InlineData(new[] { "-id", "x", "start" }, "\"-namespace\" is required")]
    [InlineData(new[] { "-namespace", "ns", "start", "-id" }, "\"-id\" needs a value")]
    public void BadCommandLinesAreNamed(string[] args, string expected)
    {
        var ex = Assert.Throws<ShimException>(() => ShimArguments.Parse(args));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
