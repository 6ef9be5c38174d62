using System.Net.Sockets;
using Grpc.Net.Client;
using GuestPull.Api.Containerd.Snapshots.V1;
using GuestPull.Testing;

namespace GuestPull.Snapshotter.Tests;

/// <summary>A snapshotter started in-process on a temp root and socket, plus clients that talk to it over the socket.</summary>
internal sealed class SnapshotterServer : IAsyncDisposable
{
    private readonly List<GrpcChannel> _channels = [];

    private SnapshotterServer(TempDirectory directory, RunningSnapshotter running)
    {
        Directory = directory;
        Running = running;
    }

    public TempDirectory Directory { get; }

    public RunningSnapshotter Running { get; }

    public string Root => Running.Root;

    public string Address => Running.Address;

    public static async Task<SnapshotterServer> StartAsync(SnapshotterDriver driver, TempDirectory? directory = null, string? configToml = null)
    {
        directory ??= TempDirectory.Create("snapshotter");
        string? configFile = null;
        if (configToml is not null)
        {
            configFile = directory.Combine("config.toml");
            await File.WriteAllTextAsync(configFile, configToml);
        }
        var running = await SnapshotterHost.StartAsync(
            new SnapshotterOptions
            {
                ConfigFile = configFile,
                Root = directory.Combine("root"),
                Address = directory.Combine("run", "snapshotter.sock"),
                FsDriver = driver == SnapshotterDriver.Proxy ? "proxy" : "overlayfs",
                LogLevel = "warn",
            },
            CancellationToken.None);
        return new SnapshotterServer(directory, running);
    }

    public Snapshots.SnapshotsClient CreateClient()
    {
        var channel = CreateChannel(Address);
        _channels.Add(channel);
        return new Snapshots.SnapshotsClient(channel);
    }

    public static GrpcChannel CreateChannel(string socketPath) =>
        GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, cancellationToken) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            },
        });

    /// <summary>Stops the server but keeps the directory (for restart tests).</summary>
    public async Task StopAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
        _channels.Clear();
        await Running.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Dispose();
    }
}
