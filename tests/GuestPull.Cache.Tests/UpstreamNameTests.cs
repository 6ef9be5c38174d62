using GuestPull.Cache.Distribution;

namespace GuestPull.Cache.Tests;

public sealed class UpstreamNameTests
{
    [Theory]
    [InlineData("registry.example.com/library/busybox", null, "registry.example.com", "library/busybox")]
    [InlineData("127.0.0.1:5000/app", "", "127.0.0.1:5000", "app")]
    [InlineData("registry.example.com:5000/library/busybox", null, "registry.example.com:5000", "library/busybox")]
    [InlineData("localhost:5000/team/app", null, "localhost:5000", "team/app")]
    [InlineData("library/busybox", "registry.example.com:5000", "registry.example.com:5000", "library/busybox")]
    [InlineData("app", "127.0.0.1:5000", "127.0.0.1:5000", "app")]
    [InlineData("localhost/team/app", null, "localhost", "team/app")]
    [InlineData("library/busybox", "docker.io", "docker.io", "library/busybox")]
    [InlineData("team/app", "quay.io", "quay.io", "team/app")]
    public void TheRegistryComesFromNsOrTheFirstComponent(string name, string? ns, string registry, string repository)
    {
        var (reference, error) = UpstreamName.Resolve(name, ns);
        Assert.Null(error);
        Assert.Equal(registry, reference!.Registry);
        Assert.Equal(repository, reference.Repository);
    }

    [Theory]
    [InlineData("library/busybox", null, "does not name its registry")]
    [InlineData("registry.example.com", null, "does not name its registry")]
    [InlineData("busybox", "not a host", "is not a registry host")]
    [InlineData("example.com/UPPER/case", null, "not a valid repository name")]
    [InlineData("library/busybox", "registry.example.com:port", "is not a registry host")]
    [InlineData("registry.example.com:70000/app", null, "is not a registry host")]
    [InlineData("registry.example.com:0/app", null, "is not a registry host")]
    public void ANameWithoutAUsableRegistryIsRefusedWithTheReason(string name, string? ns, string reason)
    {
        var (reference, error) = UpstreamName.Resolve(name, ns);
        Assert.Null(reference);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
