using System.Globalization;
using System.Net;

namespace GuestPull.Shim.Vm;

/// <summary>
/// Where a VM guest reaches the node cache the shim's <c>[agent] node_cache</c> names. The VM's user-mode
/// network reaches the loopback of the namespace QEMU runs in at the gateway 10.0.2.2: the node's own
/// loopback for a pod with the node's network; for a pod with its own network namespace, the shim relays
/// that namespace's loopback port to the node's cache (<see cref="NodeCacheRelay"/>). A cache on any other
/// address is reached as it is, through the VM's network.
/// </summary>
/// <param name="GuestAddress">The <c>HOST:PORT</c> the guest agent is given.</param>
/// <param name="NodeEndpoint">The cache on the node's loopback, when the address had to be rewritten; null otherwise.</param>
internal sealed record GuestNodeCache(string GuestAddress, IPEndPoint? NodeEndpoint)
{
    /// <summary>Resolves <paramref name="nodeCache"/> (<c>HOST:PORT</c>, as the agent's config takes it).</summary>
    public static GuestNodeCache Resolve(string nodeCache)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeCache);
        var colon = nodeCache.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(nodeCache[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port == 0)
        {
            // The agent refuses it with its own message; nothing to rewrite.
            return new GuestNodeCache(nodeCache, null);
        }

        var host = nodeCache[..colon];
        var name = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        IPAddress? loopback = string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase)
            ? IPAddress.Loopback
            : IPAddress.TryParse(name, out var address) && IPAddress.IsLoopback(address) ? address : null;
        return loopback is null
            ? new GuestNodeCache(nodeCache, null)
            : new GuestNodeCache($"{GuestInitData.UserNetworkGateway}:{port.ToString(CultureInfo.InvariantCulture)}", new IPEndPoint(loopback, port));
    }
}
