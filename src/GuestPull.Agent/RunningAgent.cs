using GuestPull.Agent.Containers;
using GuestPull.Agent.Files;
using GuestPull.Agent.Storage;
using GuestPull.Images.Store;
using GuestPull.Ttrpc;

namespace GuestPull.Agent;

/// <summary>A started agent: its ttrpc server, containers, file copier and image store. Disposing stops it, removes its containers and unfinished copies.</summary>
internal sealed class RunningAgent : IAsyncDisposable
{
    private readonly TtrpcServer _server;
    private readonly ContainerManager _containers;
    private readonly GuestImageService _images;
    private readonly FileCopyService _files;
    private readonly LayerStore _store;

    public RunningAgent(string address, TtrpcServer server, ContainerManager containers, GuestImageService images, FileCopyService files, LayerStore store)
    {
        Address = address;
        _server = server;
        _containers = containers;
        _images = images;
        _files = files;
        _store = store;
    }

    public string Address { get; }

    public LayerStore Store => _store;

    /// <summary>Where CopyFile writes.</summary>
    public string CopyRoot => _files.Root;

    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _server.ShutdownAsync(grace.Token).ConfigureAwait(false);
        await _containers.DisposeAsync().ConfigureAwait(false);
        _images.Dispose();
        _files.Dispose();
        await _store.DisposeAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
    }
}
