using System.Net;
using GuestPull.Shim.Vm;

namespace GuestPull.Shim.Tests.Vm;

public sealed class GuestNodeCacheTests
{
    [Theory]
    [InlineData("127.0.0.1:5050", "10.0.2.2:5050", "127.0.0.1:5050")]
    [InlineData("localhost:6000", "10.0.2.2:6000", "127.0.0.1:6000")]
    [InlineData("127.0.0.53:5050", "10.0.2.2:5050", "127.0.0.53:5050")]
    [InlineData("[::1]:5050", "10.0.2.2:5050", "[::1]:5050")]
    public void ALoopbackCacheIsReachedThroughTheGatewayAndRelayedToTheNodesAddress(string configured, string guest, string node)
    {
        var resolved = GuestNodeCache.Resolve(configured);

        Assert.Equal(guest, resolved.GuestAddress);
        Assert.Equal(IPEndPoint.Parse(node), resolved.NodeEndpoint);
    }

    [Theory]
    [InlineData("10.1.2.3:5050")]
    [InlineData("cache.example.com:5050")]
    [InlineData("harbor.example.com")]
    [InlineData("[fd00::5]:5050")]
    public void AnyOtherAddressIsLeftAsItIs(string configured)
    {
        var resolved = GuestNodeCache.Resolve(configured);

        Assert.Equal(configured, resolved.GuestAddress);
        Assert.Null(resolved.NodeEndpoint);
    }
}
