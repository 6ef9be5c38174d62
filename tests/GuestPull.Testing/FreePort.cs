using System.Net;
using System.Net.Sockets;

namespace GuestPull.Testing;

/// Picks a currently free TCP port on 127.0.0.1 for tools that cannot be told to listen on port 0.
public static class FreePort
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> HandedOut = [];

    /// The port is free when returned; another process may still take it before the caller binds, so
    /// callers that start a daemon retry on "address already in use". Ports are never handed out twice
    /// within one test process.
    public static int Get()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
            lock (Gate)
            {
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }

        throw new InvalidOperationException("Could not find a free TCP port on 127.0.0.1 after 100 attempts.");
    }
}
