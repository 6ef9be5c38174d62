using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using GuestPull.Linux.Interop;

namespace GuestPull.Linux.Namespaces;

/// <summary>Sockets that live in another network namespace than the process.</summary>
public static class NetworkNamespace
{
    /// <summary>
    /// A listening TCP socket bound to <paramref name="endpoint"/> inside the network namespace at
    /// <paramref name="namespacePath"/> (a pod's <c>/var/run/netns/…</c>): only that namespace reaches it,
    /// while the process serves it from its own. A dedicated thread enters the namespace, makes the
    /// socket and ends; no other thread of the process ever changes namespace.
    /// </summary>
    /// <exception cref="NativeCallException">The namespace cannot be opened or entered (entering needs CAP_SYS_ADMIN).</exception>
    /// <exception cref="SocketException">The address cannot be bound in that namespace.</exception>
    public static Socket Listen(string namespacePath, IPEndPoint endpoint, int backlog)
    {
        ArgumentException.ThrowIfNullOrEmpty(namespacePath);
        ArgumentNullException.ThrowIfNull(endpoint);
        Socket? socket = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                socket = ListenOnThisThread(namespacePath, endpoint, backlog);
            }
            catch (Exception ex) when (ex is IOException or SocketException or UnauthorizedAccessException)
            {
                failure = ex;
            }
        })
        {
            IsBackground = true,
            Name = "netns-listen",
        };
        thread.Start();
        thread.Join();
        return failure is not null ? throw failure : socket!;
    }

    private static Socket ListenOnThisThread(string namespacePath, IPEndPoint endpoint, int backlog)
    {
        using var own = FileSystemCalls.Open("/proc/thread-self/ns/net", OpenFlags.ReadOnly);
        using var target = FileSystemCalls.Open(namespacePath, OpenFlags.ReadOnly);
        Enter(target, namespacePath);
        try
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(endpoint);
                socket.Listen(backlog);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        finally
        {
            // The thread ends right after; going back keeps it harmless should the runtime run anything else on it.
            Enter(own, "/proc/thread-self/ns/net");
        }
    }

    private static void Enter(SafeFileDescriptor descriptor, string path)
    {
        if (LibC.SetNs(descriptor.Number, LibC.CloneNewNet) != 0)
        {
            throw new NativeCallException(Marshal.GetLastPInvokeError(), "setns", path);
        }
    }
}
