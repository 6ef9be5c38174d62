using GuestPull.Testing;
using GuestPull.Testing.Cri;

namespace GuestPull.IntegrationTests.Cri;

/// <summary>One <see cref="CriNode"/> for a test class: starting containerd with CRI takes a while.</summary>
public class CriNodeFixture : IAsyncLifetime
{
    private readonly BusyboxImageFixture _busybox = new();
    private CriNode? _node;

    internal CriNode Node => _node ?? throw new InvalidOperationException("The node is not started.");

    internal BusyboxImageFixture Busybox => _busybox;

    public virtual async Task InitializeAsync()
    {
        await _busybox.InitializeAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        _node = await CriNode.StartAsync(_busybox, Options(new CriNodeOptions { GuestPullCommand = ["dotnet", Path.Combine(AppContext.BaseDirectory, "guestpull.dll")] }), timeout.Token);
    }

    /// <summary>
    /// Pushes busybox plus a layer of its own (FILE holding CONTENT, a fresh GUID by default) as
    /// REPOSITORY:1 to the node's registry: an image id no other test shares (containerd 1.6's CRI names a
    /// container's image after the first reference of its image id). Returns the image and its own layer.
    /// </summary>
    internal async Task<(string Image, string OwnLayer)> PushImageOfItsOwnAsync(string repository, string file = "own.txt", string? content = null, CancellationToken token = default)
    {
        using var work = TempDirectory.Create("cri-" + repository);
        var layout = Busybox.CopyLayoutTo(work.Combine("layout"));
        await ImageBuilder.AddLayerAsync(layout, BusyboxImageFixture.Tag, rootfs => File.WriteAllText(Path.Combine(rootfs, file), content ?? Guid.NewGuid().ToString()), token);
        await ImageBuilder.PushAsync(layout, BusyboxImageFixture.Tag, Node.Registry, repository + ":1", cancellationToken: token);
        return ($"{Node.Registry.Host}/{repository}:1", HostTraces.LayerDigests(layout, BusyboxImageFixture.Tag)[^1]);
    }

    /// <summary>The node's options: the defaults (a namespace sandbox); a derived fixture changes them.</summary>
    private protected virtual CriNodeOptions Options(CriNodeOptions defaults) => defaults;

    public virtual async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        await _busybox.DisposeAsync();
    }
}
