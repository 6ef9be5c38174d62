using GuestPull.Testing;

namespace GuestPull.Ttrpc.Tests.Support;

/// A TtrpcServer listening on a unix socket in a private temp directory, with clients connected to it.
internal sealed class ServerHarness : IAsyncDisposable
{
    public const string Service = "guestpull.ttrpc.test.Echo";

    private readonly TempDirectory _directory;
    private readonly List<TtrpcClient> _clients = [];

    private ServerHarness(TempDirectory directory, TtrpcServer server, string socketPath)
    {
        _directory = directory;
        Server = server;
        SocketPath = socketPath;
    }

    public TtrpcServer Server { get; }

    public string SocketPath { get; }

    /// Generous bound for anything a test waits on: CI machines are slow and loaded.
    public static TimeSpan Patience { get; } = TimeSpan.FromSeconds(60);

    public static ServerHarness Start(Action<TtrpcServer> register, TtrpcServerOptions? options = null)
    {
        var directory = TempDirectory.Create("ttrpc");
        var server = new TtrpcServer(options);
        register(server);
        var socketPath = directory.Combine("ttrpc.sock");
        server.ListenUnixSocket(socketPath);
        return new ServerHarness(directory, server, socketPath);
    }

    public async Task<TtrpcClient> ConnectAsync(TtrpcClientOptions? options = null)
    {
        var client = await TtrpcClient.ConnectAsync(SocketPath, options);
        _clients.Add(client);
        return client;
    }

    public async Task<RawConnection> ConnectRawAsync(int maxMessageSize = TtrpcClientOptions.DefaultMaxMessageSize) =>
        await RawConnection.ConnectAsync(SocketPath, maxMessageSize);

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        await Server.DisposeAsync();
        _directory.Dispose();
    }
}
