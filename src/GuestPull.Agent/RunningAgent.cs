using GuestPull.Agent.Containers;
using GuestPull.Agent.Storage;
using GuestPull.Images.Store;
using GuestPull.Ttrpc;

namespace GuestPull.Agent;

/// <summary>A started agent: its ttrpc server, containers and image store. Disposing stops it and removes its containers.</summary>
internal sealed class RunningAgent : IAsyncDisposable
{
    private readonly TtrpcServer _server;
    private readonly ContainerManager _containers;
    private readonly GuestImageService _images;
    private readonly LayerStore _store;

    public RunningAgent(string address, TtrpcServer server, ContainerManager containers, GuestImageService images, LayerStore store)
    {
        Address = address;
        _server = server;
        _containers = containers;
        _images = images;
        _store = store;
    }

    public string Address { get; }

    public LayerStore Store => _store;

    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _server.ShutdownAsync(grace.Token).ConfigureAwait(false);
        await _containers.DisposeAsync().ConfigureAwait(false);
        _images.Dispose();
        await _store.DisposeAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
    }
}
