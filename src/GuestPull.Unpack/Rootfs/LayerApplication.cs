using GuestPull.Linux;
using GuestPull.Unpack.Tar;

namespace GuestPull.Unpack.Rootfs;

/// <summary>One run of applying one layer: reads entries, enforces the layer-level rules, and drives the writer.</summary>
internal sealed class LayerApplication : IDisposable
{
    private readonly LayerApplyOptions _options;
    private readonly ConfinedRootfsWriter _writer;
    private readonly LayerPathTracker _tracker = new();
    private readonly List<(string Path, UnixTimestamp Time)> _directoryTimes = [];
    private readonly HashSet<string> _skippedDevices = new(StringComparer.Ordinal);
    private readonly LayerApplyResult _result = new();
    private UnixTimestamp? _rootTime;

    // Overlay form: directories this layer made opaque ("" is the root). A whiteout below one hides
    // nothing (the opaque directory already hides every lower name), and overlayfs would list it
    // as a 0:0 character device, since it only filters whiteouts out of directories it merges.
    private readonly HashSet<string> _opaqueDirectories = new(StringComparer.Ordinal);

    public LayerApplication(string rootDirectory, LayerApplyOptions options)
    {
        _options = options;
        _writer = ConfinedRootfsWriter.Open(rootDirectory, options.ForceUserSpaceResolution, Warn);
    }

    private bool OverlayForm => _options.WhiteoutMode == WhiteoutMode.Overlay;

    public void Dispose() => _writer.Dispose();

    public async Task<LayerApplyResult> RunAsync(Stream tar, CancellationToken cancellationToken)
    {
        using var reader = new TarReader(tar, TarReaderLimits.From(_options));
        while (await reader.GetNextEntryAsync(cancellationToken).ConfigureAwait(false) is { } entry)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await ApplyAsync(entry, reader, cancellationToken).ConfigureAwait(false);
            }
            catch (NativeCallException e)
            {
                throw new IOException($"applying layer entry '{entry.Name}' failed: {e.Message}", e);
            }
        }

        foreach (var (path, time) in _directoryTimes)
        {
            _writer.SetDirectoryTimes(path, time);
        }

        if (_rootTime is { } rootTime)
        {
            _writer.SetRootTimes(rootTime);
        }
        else if (OverlayForm)
        {
            // The layer's own directory stands for a root the layer says nothing about: give it the
            // attributes of an implicit parent, not whatever the caller created it with.
            _writer.ResetRootDirectory();
        }

        if (_options.DrainTrailingData)
        {
            await reader.DrainAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_result.LowerLayerHardLinks > 0)
        {
            _writer.MarkLowerLayerHardLinks(_result.LowerLayerHardLinks);
        }

        _result.UncompressedSize = reader.BytesRead;
        _result.DiffId = reader.CurrentDigest();
        _result.ImplicitDirectories = _tracker.ImplicitDirectories();
        return _result;
    }

    private async ValueTask ApplyAsync(TarEntry entry, TarReader reader, CancellationToken cancellationToken)
    {
        var path = EntryPath.Normalize(entry.Name);
        if (path.IsRoot)
        {
            // A layer may never replace the root or change its type; a directory entry for it gives
            // it its owner, mode and xattrs (as umoci and Docker do: an image whose user is not root
            // needs a root it can search).
            if (entry.Type != TarEntryType.Directory)
            {
                throw new InvalidLayerException($"entry '{entry.Name}' ({entry.Type}) would replace the root directory");
            }

            ApplyRootEntry(entry);
            return;
        }

        if (!CheckParentNames(path))
        {
            return;
        }

        if (path.Name.StartsWith(WhiteoutNames.Prefix, StringComparison.Ordinal))
        {
            ApplyWhiteout(path, entry);
            return;
        }

        foreach (var attribute in entry.ExtendedAttributes)
        {
            ExtendedAttributePolicy.EnsureAllowed(attribute.Key, path.Full);
        }

        var previous = _tracker.AddEntry(path.Full, entry.Type == TarEntryType.Directory);
        PrepareParents(path.Full);
        switch (entry.Type)
        {
            case TarEntryType.Directory:
                // In overlay form a directory that replaces this layer's own whiteout must hide the lower one.
                var makeOpaque = OverlayForm && previous == PathState.Whiteout;
                _writer.WriteDirectory(path, entry, makeOpaque);
                if (makeOpaque)
                {
                    MarkOpaque(path.Full);
                }

                _directoryTimes.Add((path.Full, new UnixTimestamp(entry.ModificationSeconds, entry.ModificationNanoseconds)));
                _result.Directories++;
                break;
            case TarEntryType.RegularFile:
                _result.Bytes += await _writer.WriteFileAsync(path, entry, reader, cancellationToken).ConfigureAwait(false);
                _result.Files++;
                break;
            case TarEntryType.SymbolicLink:
                _writer.WriteSymbolicLink(path, entry);
                _result.SymbolicLinks++;
                break;
            case TarEntryType.HardLink:
                ApplyHardLink(path, entry);
                break;
            default:
                if (_writer.WriteSpecialFile(path, entry))
                {
                    _result.SpecialFiles++;
                }
                else
                {
                    _skippedDevices.Add(path.Full);
                    _result.SkippedDevices++;
                    Warn(LayerWarningKind.DeviceSkipped, path.Full, $"device '{path}' ({entry.DeviceMajor}:{entry.DeviceMinor}) skipped: creating devices is not permitted here");
                }

                break;
        }
    }

    private void ApplyRootEntry(TarEntry entry)
    {
        if (_rootTime is not null)
        {
            throw new InvalidLayerException($"layer has two entries for the root directory ('{entry.Name}')");
        }

        foreach (var attribute in entry.ExtendedAttributes)
        {
            ExtendedAttributePolicy.EnsureAllowed(attribute.Key, "/");
        }

        _writer.WriteRootDirectory(entry);
        _rootTime = new UnixTimestamp(entry.ModificationSeconds, entry.ModificationNanoseconds);
        _result.HasRootEntry = true;
    }

    private void ApplyHardLink(EntryPath path, TarEntry entry)
    {
        var target = EntryPath.Normalize(entry.LinkName);
        if (target.IsRoot)
        {
            throw new InvalidLayerException($"hard link '{path}' points at the root directory");
        }

        if (target.Full == path.Full)
        {
            throw new InvalidLayerException($"hard link '{path}' points at itself");
        }

        if (_skippedDevices.Contains(target.Full))
        {
            _skippedDevices.Add(path.Full);
            Warn(LayerWarningKind.HardLinkSkipped, path.Full, $"hard link '{path}' skipped: its target '{target}' is a skipped device");
            return;
        }

        if (_tracker.Get(target.Full) == PathState.Whiteout)
        {
            throw new InvalidLayerException($"hard link '{path}' points at '{target}', which this layer whites out before the link");
        }

        if (_writer.WriteHardLink(path, target, OverlayForm) is not { } missing)
        {
            _result.HardLinks++;
            return;
        }

        // Apply form writes onto the layers below, so what is not in the root is in no layer. In
        // overlay form the target may be a file of a lower layer, which this layer's directory does
        // not hold: the link becomes a placeholder resolved when the layers are stacked.
        if (!OverlayForm)
        {
            throw new InvalidLayerException($"hard link '{path}' points at '{target}', {missing}");
        }

        EnsureLowerLayerTargetVisible(path, target);
        _writer.WriteLowerLayerHardLink(path, target);
        _result.HardLinks++;
        _result.LowerLayerHardLinks++;
    }

    /// <summary>
    /// A link into a lower layer is only possible where this layer, up to this entry, left the lower
    /// target in view (as umoci, which links in the merged tree, sees it): not whited out, not below a
    /// directory this layer made opaque, and reached through directories only. The stacking side resolves
    /// the rest (the target exists below, no symlink on its path) and refuses what it cannot find.
    /// </summary>
    private void EnsureLowerLayerTargetVisible(EntryPath path, EntryPath target)
    {
        if (BelowOpaqueDirectory(target.Full))
        {
            throw new InvalidLayerException($"hard link '{path}' points at '{target}', which this layer hides below an opaque directory before the link");
        }

        for (var slash = target.Full.IndexOf('/'); slash > 0; slash = target.Full.IndexOf('/', slash + 1))
        {
            var ancestor = target.Full[..slash];
            switch (_tracker.Get(ancestor))
            {
                case PathState.Whiteout:
                    throw new InvalidLayerException($"hard link '{path}' points at '{target}', which this layer whites out ('{ancestor}') before the link");
                case PathState.NonDirectory:
                    throw new InvalidLayerException($"hard link '{path}' points at '{target}' through '{ancestor}', which this layer wrote as a non-directory (links into lower layers do not follow symbolic links)");
            }
        }

        if (_tracker.Get(target.Full) is not null)
        {
            throw new InvalidLayerException($"hard link '{path}' points at '{target}', which does not exist in the layer");
        }
    }

    private void ApplyWhiteout(EntryPath path, TarEntry entry)
    {
        if (path.Name == WhiteoutNames.Opaque)
        {
            _tracker.AddEntry(path.Full, isDirectory: false);
            PrepareParents(path.Full);
            var directory = EntryPath.Normalize(path.Parent);
            if (OverlayForm)
            {
                _writer.SetOpaque(directory);
                MarkOpaque(directory.Full);
            }
            else
            {
                _writer.RemoveLowerContent(directory, _tracker);
            }

            _result.OpaqueDirectories++;
            return;
        }

        if (path.Name.StartsWith(WhiteoutNames.MetaPrefix, StringComparison.Ordinal))
        {
            Warn(LayerWarningKind.AufsMetadataIgnored, path.Full, $"AUFS metadata entry '{path}' ignored");
            return;
        }

        var name = path.Name[WhiteoutNames.Prefix.Length..];
        if (name.Length == 0)
        {
            throw new InvalidLayerException($"whiteout entry '{entry.Name}' names nothing (a bare '{WhiteoutNames.Prefix}')");
        }

        if (name is "." or "..")
        {
            throw new InvalidLayerException($"whiteout entry '{entry.Name}' names '{name}'; a whiteout must name a child of its directory");
        }

        var target = EntryPath.Join(path.Parent, name);
        var previous = _tracker.AddWhiteout(target.Full);
        PrepareParents(target.Full);
        switch (previous)
        {
            case PathState.NonDirectory:
                // This layer wrote the path already; the whiteout only hides lower layers, which the entry does too.
                break;
            case PathState.Directory or PathState.ImplicitDirectory:
                // This layer's directory stays; the lower one's content must not show through it.
                if (OverlayForm)
                {
                    _writer.SetOpaque(target);
                    MarkOpaque(target.Full);
                }
                else
                {
                    _writer.RemoveLowerContent(target, _tracker);
                }

                break;
            default:
                if (OverlayForm)
                {
                    if (!BelowOpaqueDirectory(target.Full))
                    {
                        _writer.CreateOverlayWhiteout(target);
                    }
                }
                else
                {
                    _writer.RemovePath(target);
                }

                break;
        }

        _result.Whiteouts++;
    }

    /// <summary>Records an opaque directory of this layer and removes the whiteouts this layer already wrote below it.</summary>
    private void MarkOpaque(string directory)
    {
        if (!_opaqueDirectories.Add(directory))
        {
            return;
        }

        foreach (var whiteout in _tracker.WhiteoutsBelow(directory))
        {
            _writer.RemovePath(EntryPath.Normalize(whiteout));
        }
    }

    private bool BelowOpaqueDirectory(string path)
    {
        if (_opaqueDirectories.Count == 0)
        {
            return false;
        }

        if (_opaqueDirectories.Contains(string.Empty))
        {
            return true;
        }

        for (var slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
        {
            if (_opaqueDirectories.Contains(path[..slash]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Records the parents of a path and turns this layer's own whiteouts among them back into directories.</summary>
    private void PrepareParents(string path)
    {
        if (_tracker.MarkParents(path) is not { } whitedOut)
        {
            return;
        }

        foreach (var parent in whitedOut)
        {
            // Apply form already deleted the lower path; the parent is created like any missing one.
            if (OverlayForm)
            {
                _writer.ReplaceWhiteoutWithDirectory(EntryPath.Normalize(parent));
                MarkOpaque(parent);
            }
        }
    }

    /// <summary>
    /// A whiteout prefix is only meaningful in the last component. AUFS metadata directories are
    /// skipped with their content; any other whiteout-named directory is an error. Returns false to skip.
    /// </summary>
    private bool CheckParentNames(EntryPath path)
    {
        var parent = path.ParentSpan;
        if (parent.IndexOf(WhiteoutNames.Prefix, StringComparison.Ordinal) < 0)
        {
            return true;
        }

        foreach (var range in parent.Split('/'))
        {
            var component = parent[range];
            if (component.StartsWith(WhiteoutNames.MetaPrefix, StringComparison.Ordinal))
            {
                Warn(LayerWarningKind.AufsMetadataIgnored, path.Full, $"AUFS metadata entry '{path}' ignored");
                return false;
            }

            if (component.StartsWith(WhiteoutNames.Prefix, StringComparison.Ordinal))
            {
                throw new InvalidLayerException($"entry '{path}' has whiteout-named directory '{component}' in its path");
            }
        }

        return true;
    }

    private void Warn(LayerWarningKind kind, string path, string message)
    {
        _result.Warnings++;
        _options.Warning?.Invoke(new LayerApplyWarning(kind, path, message));
    }
}
