using System.Globalization;
using System.Net;

namespace GuestPull.Cache.Hosting;

/// <summary>Parses <c>HOST:PORT</c> (an IPv4 address, <c>[IPv6]</c>, or <c>localhost</c>) into the endpoint to bind.</summary>
internal static class ListenAddress
{
    /// <exception cref="ArgumentException">The text is not HOST:PORT with an IP address or localhost.</exception>
    public static IPEndPoint Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
        {
            throw new ArgumentException($"--listen: \"{text}\" is not HOST:PORT");
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (host == "localhost")
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        return IPAddress.TryParse(host, out var address)
            ? new IPEndPoint(address, port)
            : throw new ArgumentException($"--listen: \"{host}\" is not an IP address (a cache listens on an address, not a name)");
    }
}
