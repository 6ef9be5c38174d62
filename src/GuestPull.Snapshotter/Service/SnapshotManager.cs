using GuestPull.Linux;
using GuestPull.Snapshotter.Filters;
using GuestPull.Snapshotter.Mounts;
using GuestPull.Snapshotter.Storage;
using Microsoft.Extensions.Logging;

namespace GuestPull.Snapshotter.Service;

/// <summary>containerd's snapshotter semantics over the store, the mount builders and the driver's layer policy.</summary>
internal sealed partial class SnapshotManager
{
    private readonly SnapshotStore _store;
    private readonly SnapshotterDriver _driver;
    private readonly bool _allowHostRootfs;
    private readonly bool _discardHostLayers;
    private readonly OverlayMounts _overlay;
    private readonly GuestPullMounts _guestPull;
    private readonly UsageCache _usage;
    private readonly ILogger _logger;

    public SnapshotManager(SnapshotStore store, SnapshotterDriver driver, bool allowHostRootfs, bool discardHostLayers, bool overlayIndexOff, TimeProvider time, ILogger logger)
    {
        _store = store;
        _driver = driver;
        _allowHostRootfs = allowHostRootfs;
        _discardHostLayers = discardHostLayers;
        _overlay = new OverlayMounts(store.Layout, overlayIndexOff);
        _guestPull = new GuestPullMounts(store.Layout, _overlay);
        _usage = new UsageCache(store.Layout, TimeSpan.FromSeconds(30), time);
        _logger = logger;
    }

    public async Task<IReadOnlyList<MountSpec>> PrepareAsync(
        string key, string? parent, IReadOnlyDictionary<string, string>? labels, CancellationToken cancellationToken)
    {
        RequireKey(key);
        var normalized = LabelRules.Normalize(labels);
        if (_driver == SnapshotterDriver.Proxy && normalized.TryGetValue(SnapshotLabels.TargetRef, out var target))
        {
            await CommitProxyLayerAsync(key, parent, target, normalized, cancellationToken).ConfigureAwait(false);
        }
        await _store.CreateAsync(SnapshotKind.Active, key, parent, normalized, cancellationToken, RecoverParent).ConfigureAwait(false);
        var (mounts, forced) = await MountsAndReasonAsync(key, cancellationToken).ConfigureAwait(false);
        if (forced)
        {
            LogForcedGuestPull(key, parent);
        }
        return mounts;
    }

    public async Task<IReadOnlyList<MountSpec>> ViewAsync(
        string key, string? parent, IReadOnlyDictionary<string, string>? labels, CancellationToken cancellationToken)
    {
        RequireKey(key);
        await _store.CreateAsync(SnapshotKind.View, key, parent, LabelRules.Normalize(labels), cancellationToken, RecoverParent).ConfigureAwait(false);
        return await MountsAsync(key, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<MountSpec>> MountsAsync(string key, CancellationToken cancellationToken) =>
        (await MountsAndReasonAsync(key, cancellationToken).ConfigureAwait(false)).Mounts;

    // Forced = the guest-pull volume on a chain that is not the proxy's own (docs/contracts.md, section 3).
    private async Task<(IReadOnlyList<MountSpec> Mounts, bool Forced)> MountsAndReasonAsync(string key, CancellationToken cancellationToken)
    {
        RequireKey(key);
        var chain = await _store.GetChainAsync(key, cancellationToken).ConfigureAwait(false);
        if (chain[0].Kind == SnapshotKind.Committed)
        {
            throw SnapshotException.FailedPrecondition($"snapshot {key} is committed; only active and view snapshots have mounts");
        }
        // Whatever the driver now, a container on skipped layers can only run with a guest pull.
        if (GuestPullMounts.Applies(chain))
        {
            return (_guestPull.For(chain), false);
        }
        // In proxy mode a container never runs layers the host unpacked, unless the operator said otherwise.
        return _driver == SnapshotterDriver.Proxy && !_allowHostRootfs && GuestPullMounts.MustForce(chain)
            ? (_guestPull.For(chain), true)
            : (_overlay.For(chain), false);
    }

    // nydus #700: after a crash or a lost database containerd still names parents this store no longer
    // has. In proxy mode a layer holds nothing on the host anyway, so an empty committed placeholder
    // (marked as a proxy layer: whatever runs on it is pulled in the guest) lets the pod start again.
    private Action<string>? RecoverParent => _driver == SnapshotterDriver.Proxy ? LogRecoveredParent : null;

    public async Task CommitAsync(string name, string key, IReadOnlyDictionary<string, string>? labels, CancellationToken cancellationToken)
    {
        RequireKey(key);
        if (string.IsNullOrEmpty(name))
        {
            throw SnapshotException.InvalidArgument("committed snapshot name must not be empty");
        }
        var normalized = LabelRules.Normalize(labels);
        var active = await _store.GetAsync(key, cancellationToken).ConfigureAwait(false);
        if (active.Kind != SnapshotKind.Active)
        {
            throw SnapshotException.FailedPrecondition(
                $"snapshot {key} is not active (it is {FilterClause.KindName(active.Kind)}); only active snapshots can be committed");
        }
        var fs = _store.Layout.FsDirectory(active.Id);
        if (_driver == SnapshotterDriver.Proxy && _discardHostLayers && !_allowHostRootfs && GuestPullMounts.IsUnpackKey(key))
        {
            // containerd unpacked a layer on the host without CRI's labels (an image another snapshotter
            // had, unpacked again at CreateContainer). When only guest-pull runtimes use this snapshotter
            // (containerd 1.7+'s runtime-specific snapshotter), every container on it gets a guest pull, so
            // the host keeps none of its content: the layer is committed empty, as a proxy layer would be.
            // With the global snapshotter of 1.6, runc pods run such layers: they are kept there.
            await Task.Run(() => DiscardContent(fs), cancellationToken).ConfigureAwait(false);
            LogDiscardedHostLayer(name);
        }
        var usage = await Task.Run(() => DiskUsage.Measure(fs, cancellationToken), cancellationToken).ConfigureAwait(false);
        await _store.CommitAsync(name, key, normalized, usage, cancellationToken).ConfigureAwait(false);
        _usage.Forget(active.Id);
    }

    private static void DiscardContent(string fs)
    {
        using var directory = FileSystemCalls.Open(fs, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow);
        TreeRemover.DeleteChildren(directory, fs);
    }

    public async Task RemoveAsync(string key, CancellationToken cancellationToken)
    {
        RequireKey(key);
        var removed = await _store.RemoveAsync(key, cancellationToken).ConfigureAwait(false);
        _usage.Forget(removed.Id);
    }

    public Task<SnapshotRecord> StatAsync(string key, CancellationToken cancellationToken)
    {
        RequireKey(key);
        return _store.GetAsync(key, cancellationToken);
    }

    /// <summary>
    /// Update with containerd's field-mask rules: `labels.K` sets K from <paramref name="labels"/> (an
    /// empty or missing value deletes it), `labels` replaces all labels, no path replaces all labels,
    /// any other path is InvalidArgument.
    /// </summary>
    public Task<SnapshotRecord> UpdateAsync(
        string name, IReadOnlyDictionary<string, string> labels, IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        RequireKey(name);
        return _store.UpdateLabelsAsync(name, record => LabelUpdate.Apply(record, labels, paths), cancellationToken);
    }

    public async Task<IReadOnlyList<SnapshotRecord>> ListAsync(IEnumerable<string> filters, CancellationToken cancellationToken)
    {
        var filter = SnapshotFilter.Parse(filters);
        var all = await _store.ListAsync(cancellationToken).ConfigureAwait(false);
        return all.Where(filter.Matches).ToList();
    }

    public async Task<SnapshotUsage> UsageAsync(string key, CancellationToken cancellationToken)
    {
        var record = await StatAsync(key, cancellationToken).ConfigureAwait(false);
        return record.Kind == SnapshotKind.Active
            ? await _usage.GetAsync(record.Id, cancellationToken).ConfigureAwait(false)
            : record.Usage;
    }

    public async Task CleanupAsync(CancellationToken cancellationToken)
    {
        var removed = await _store.RemoveOrphanDirectoriesAsync(cancellationToken).ConfigureAwait(false);
        if (removed > 0)
        {
            LogCleanup(removed);
        }
    }

    // nydus-snapshotter's proxy mode: the layer is committed at once, empty, under the name containerd
    // will look for, and AlreadyExists tells containerd's unpacker to skip fetching the blob.
    private async Task CommitProxyLayerAsync(
        string key, string? parent, string target, Dictionary<string, string> labels, CancellationToken cancellationToken)
    {
        if (!labels.ContainsKey(SnapshotLabels.CriLayerDigest))
        {
            throw SnapshotException.FailedPrecondition(
                $"layer snapshot {key} has no {SnapshotLabels.CriLayerDigest} label: the proxy driver needs CRI's snapshot " +
                "annotations; set disable_snapshot_annotations = false under [plugins.\"io.containerd.grpc.v1.cri\".containerd] " +
                "in containerd's config (missing CRI reference annotation)");
        }
        labels[SnapshotLabels.ProxyMode] = "true";
        if (await _store.FindAsync(target, cancellationToken).ConfigureAwait(false) is null)
        {
            try
            {
                await _store.CreateAsync(SnapshotKind.Committed, target, parent, labels, cancellationToken).ConfigureAwait(false);
                LogProxyLayer(target, labels.GetValueOrDefault(SnapshotLabels.CriLayerDigest));
            }
            catch (SnapshotException ex) when (ex.Code == SnapshotErrorCode.AlreadyExists)
            {
                // A concurrent pull of the same layer won the race; the answer is the same.
            }
        }
        throw SnapshotException.AlreadyExists($"target snapshot {target} already exists (layer is pulled in the guest)");
    }

    private static void RequireKey(string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw SnapshotException.InvalidArgument("snapshot key must not be empty");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Layer {Name} was unpacked on the host without CRI's labels; its content is discarded (discard_host_layers: containers on it are pulled in the guest)")]
    private partial void LogDiscardedHostLayer(string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Committed proxy layer {Target} ({LayerDigest}) without content")]
    private partial void LogProxyLayer(string target, string? layerDigest);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Snapshot {Key} sits on {Parent}, whose layers are not the proxy's own (unpacked on the host): it gets the image_guest_pull volume anyway, so the image is pulled in the guest")]
    private partial void LogForcedGuestPull(string key, string? parent);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Parent {Parent} was missing from the database (a crash or a lost metadata.db): recovered as an empty committed placeholder")]
    private partial void LogRecoveredParent(string parent);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cleanup removed {Count} orphan snapshot directories")]
    private partial void LogCleanup(int count);
}
