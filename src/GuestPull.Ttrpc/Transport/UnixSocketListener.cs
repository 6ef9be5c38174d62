using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using GuestPull.Linux;

namespace GuestPull.Ttrpc.Transport;

/// <summary>
/// A listening unix socket owned by a server: replaces a stale socket file, is only reachable by its
/// owner (mode 0600), and removes its file when disposed.
/// </summary>
internal sealed class UnixSocketListener : IDisposable
{
    // sockaddr_un.sun_path is 108 bytes including the terminating NUL.
    private const int MaxPathBytes = 107;

    private const UnixFileMode SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private UnixSocketListener(Socket socket, string path)
    {
        Socket = socket;
        Path = path;
    }

    public Socket Socket { get; }

    public string Path { get; }

    public static UnixSocketListener Bind(string address)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("ttrpc unix socket listeners need a Unix-like operating system.");
        }

        var path = System.IO.Path.GetFullPath(UnixSocketConnector.NormalizePath(address));
        if (Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            throw new ArgumentException(
                $"The socket path '{path}' is {Encoding.UTF8.GetByteCount(path)} bytes long; unix sockets allow at most {MaxPathBytes}.",
                nameof(address));
        }

        RemoveStaleSocket(path);

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            BindPrivately(socket, path);
            socket.Listen();
            return new UnixSocketListener(socket, path);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Socket.Dispose();
        try
        {
            if (IsSocket(Path))
            {
                File.Delete(Path);
            }
        }
        catch (IOException)
        {
            // Someone else removed or replaced it; nothing of ours is left to clean up.
        }
    }

    // The socket is bound inside a fresh 0700 directory, narrowed to 0600 and only then moved to its
    // public path, so there is no moment in which another user could connect to it.
    [UnsupportedOSPlatform("windows")]
    private static void BindPrivately(Socket socket, string path)
    {
        var directory = System.IO.Path.GetDirectoryName(path)
            ?? throw new ArgumentException($"The socket path '{path}' has no parent directory.", nameof(path));
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The directory of the socket path '{path}' does not exist.");
        }

        var privateDirectory = System.IO.Path.Combine(directory, $".ttrpc-{Guid.NewGuid():N}"[..16]);
        var privatePath = System.IO.Path.Combine(privateDirectory, "s");
        if (Encoding.UTF8.GetByteCount(privatePath) > MaxPathBytes)
        {
            // No room for the detour: bind in place and narrow the mode right away.
            socket.Bind(new UnixDomainSocketEndPoint(path));
            File.SetUnixFileMode(path, SocketMode);
            return;
        }

        Directory.CreateDirectory(privateDirectory, PrivateDirectoryMode);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(privatePath));
            File.SetUnixFileMode(privatePath, SocketMode);
            File.Move(privatePath, path, overwrite: false);
        }
        finally
        {
            TreeRemover.Delete(privateDirectory);
        }
    }

    private static void RemoveStaleSocket(string path)
    {
        if (Directory.Exists(path))
        {
            throw new IOException($"Cannot listen on '{path}': it is a directory.");
        }

        if (!File.Exists(path))
        {
            return;
        }

        if (!IsSocket(path))
        {
            throw new IOException($"Cannot listen on '{path}': the path exists and is not a socket.");
        }

        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new IOException($"Cannot listen on '{path}': another server is accepting connections on it.");
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // Nobody listens: a socket left behind by a process that died.
            }
        }

        File.Delete(path);
    }

    private static bool IsSocket(string path)
    {
        try
        {
            return FileSystemCalls.TryStat(path, out var status) && status.Type == FileType.Socket;
        }
        catch (NativeCallException)
        {
            return false;
        }
    }
}
