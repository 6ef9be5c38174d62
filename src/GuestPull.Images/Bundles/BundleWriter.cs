using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuestPull.Linux;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestPull.Images.Bundles;

/// <summary>
/// Writes OCI bundles: a mode-0700 directory holding <c>rootfs/</c> (an overlayfs mount of the
/// layers, or the layers flattened into a plain directory) and <c>config.json</c>, and undoes them.
/// A marker file tells <see cref="RemoveAsync"/> that a directory is a bundle it may delete.
/// </summary>
public sealed partial class BundleWriter
{
    /// <summary>The marker file every bundle holds; its content is the mode (<c>overlay</c> or <c>flatten</c>).</summary>
    public const string MarkerFileName = ".guestpull-bundle";

    private const UnixFileMode PrivateDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The rootfs root's mode when no layer has a <c>./</c> entry (0755, as containerd and umoci make it).</summary>
    private const uint RootfsRootMode = 0x1ED;
    private static readonly TimeSpan BusyRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly JsonSerializerOptions SpecJson = new() { WriteIndented = true };

    private readonly ILogger _logger;

    /// <summary>Creates a writer.</summary>
    /// <param name="logger">Receives the overlay fallback and skipped-attribute warnings; null for none.</param>
    public BundleWriter(ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Creates a bundle with a prepared runtime spec.</summary>
    /// <param name="bundleDirectory">The bundle directory; it must not exist or be empty.</param>
    /// <param name="layerDirectories">The unpacked layers (overlayfs-form whiteouts), base first.</param>
    /// <param name="spec">The runtime spec written as <c>config.json</c>.</param>
    /// <param name="mode">How to assemble the rootfs; overlay falls back to flatten when the kernel refuses it.</param>
    /// <param name="cancellationToken">Cancels the creation; what was made is removed.</param>
    public Task<Bundle> CreateAsync(string bundleDirectory, IReadOnlyList<string> layerDirectories, JsonObject spec, BundleMode mode, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return CreateAsync(bundleDirectory, layerDirectories, _ => spec, mode, cancellationToken);
    }

    /// <summary>
    /// Creates a bundle whose runtime spec is built once the rootfs exists (so the image's own
    /// /etc/passwd can be read, see <see cref="Spec.RuntimeSpecBuilder"/>).
    /// </summary>
    /// <param name="bundleDirectory">The bundle directory; it must not exist or be empty.</param>
    /// <param name="layerDirectories">The unpacked layers (overlayfs-form whiteouts), base first.</param>
    /// <param name="specFactory">Given the rootfs path, returns the runtime spec.</param>
    /// <param name="mode">How to assemble the rootfs; overlay falls back to flatten when the kernel refuses it.</param>
    /// <param name="cancellationToken">Cancels the creation; what was made is removed.</param>
    public async Task<Bundle> CreateAsync(string bundleDirectory, IReadOnlyList<string> layerDirectories, Func<string, JsonObject> specFactory, BundleMode mode, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(bundleDirectory);
        ArgumentNullException.ThrowIfNull(layerDirectories);
        ArgumentNullException.ThrowIfNull(specFactory);
        // Every layer in the image's order, repeats included: links into lower layers are resolved and
        // layers flattened on this list, as an unpacker applying one layer after the other does; only
        // the overlay mount takes each layer once (see WithoutRepeats).
        var stacked = layerDirectories.Select(d => Path.TrimEndingDirectorySeparator(Path.GetFullPath(d))).ToList();
        var layers = WithoutRepeats(stacked);
        foreach (var layer in layers)
        {
            if (!IsRealDirectory(layer))
            {
                throw new ArgumentException($"layer directory '{layer}' does not exist or is not a directory", nameof(layerDirectories));
            }
        }

        var directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(bundleDirectory));

        // Links into lower layers are resolved against this very stack before anything is written.
        var links = ResolveLowerLayerLinks(stacked, out var stack);
        using var linkedLayers = stack;
        var created = PrepareDirectory(directory);
        var bundle = new Bundle(directory, mode);
        try
        {
            WriteMarker(directory, mode);
            Directory.CreateDirectory(bundle.RootfsPath, PrivateDirectoryMode);
            if (mode == BundleMode.Overlay && !TryMountOverlay(bundle, layers, links, stack))
            {
                bundle = bundle with { Mode = BundleMode.Flatten };
                WriteMarker(directory, bundle.Mode);
            }

            if (bundle.Mode == BundleMode.Flatten)
            {
                await Task.Run(() => Flatten(bundle.RootfsPath, stacked, stack, cancellationToken), cancellationToken).ConfigureAwait(false);
            }

            var spec = specFactory(bundle.RootfsPath) ?? throw new InvalidOperationException("the runtime spec factory returned null");
            AtomicFile.Write(bundle.ConfigPath, Encoding.UTF8.GetBytes(spec.ToJsonString(SpecJson)), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            return bundle;
        }
        catch
        {
            await CleanUpAsync(directory, created).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Unmounts the bundle's overlay rootfs, if mounted (the upper layer stays in the bundle).</summary>
    /// <param name="bundleDirectory">The bundle directory.</param>
    /// <param name="cancellationToken">Stops waiting for a busy mount.</param>
    public async Task UnmountAsync(string bundleDirectory, CancellationToken cancellationToken = default)
    {
        var directory = RequireBundle(bundleDirectory);
        if (directory is not null)
        {
            await UnmountRootfsAsync(Path.Combine(directory, "rootfs"), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Unmounts (if needed) and deletes a bundle. A missing directory is not an error; a directory
    /// without the bundle marker is refused.
    /// </summary>
    /// <param name="bundleDirectory">The bundle directory.</param>
    /// <param name="cancellationToken">Stops waiting for a busy mount.</param>
    public async Task RemoveAsync(string bundleDirectory, CancellationToken cancellationToken = default)
    {
        var directory = RequireBundle(bundleDirectory);
        if (directory is null)
        {
            return;
        }

        var rootfs = Path.Combine(directory, "rootfs");
        await UnmountRootfsAsync(rootfs, cancellationToken).ConfigureAwait(false);
        if (IsRealDirectory(rootfs) && Mounts.IsMountPoint(RealPath(rootfs)))
        {
            throw new IOException($"cannot remove bundle '{directory}': its rootfs is still mounted");
        }

        await Task.Run(() => TreeRemover.Delete(directory), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Keeps only the topmost occurrence of a layer that appears more than once (images repeat the
    /// empty layer): overlayfs refuses a repeated lowerdir (ELOOP), and applying a layer again on
    /// top already overrides whatever its lower copy contributed, so the merged tree is the same. A
    /// link in a layer between the copies may still name a file of the lower copy: the plan that
    /// copies such files up is made on the whole stack, repeats included.
    /// </summary>
    private static List<string> WithoutRepeats(List<string> layers)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var topFirst = new List<string>();
        for (var i = layers.Count - 1; i >= 0; i--)
        {
            if (seen.Add(layers[i]))
            {
                topFirst.Add(layers[i]);
            }
        }

        topFirst.Reverse();
        return topFirst;
    }

    private static bool IsRealDirectory(string path)
    {
        var info = new DirectoryInfo(path);
        return info.Exists && info.LinkTarget is null;
    }

    /// <summary>The path with every symlink resolved, as /proc/self/mountinfo shows mount points.</summary>
    private static string RealPath(string path)
    {
        using var descriptor = FileSystemCalls.Open(path, OpenFlags.Path | OpenFlags.Directory);
        return new FileInfo("/proc/self/fd/" + descriptor.Number.ToString(System.Globalization.CultureInfo.InvariantCulture)).LinkTarget
            ?? throw new IOException($"cannot resolve the real path of '{path}'");
    }

    /// <summary>The full bundle path; null when it does not exist; throws when it is not a bundle.</summary>
    private static string? RequireBundle(string bundleDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(bundleDirectory);
        var directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(bundleDirectory));
        if (!Directory.Exists(directory) && !File.Exists(directory))
        {
            return null;
        }

        var marker = new FileInfo(Path.Combine(directory, MarkerFileName));
        if (!IsRealDirectory(directory) || !marker.Exists || marker.LinkTarget is not null)
        {
            throw new InvalidOperationException($"'{directory}' is not a GuestPull bundle (no {MarkerFileName} marker): refusing to touch it");
        }

        return directory;
    }

    /// <summary>Creates the bundle directory or checks an existing one is empty (an empty rootfs/ is allowed). Returns whether it was created.</summary>
    private static bool PrepareDirectory(string directory)
    {
        if (File.Exists(directory) || (Directory.Exists(directory) && !IsRealDirectory(directory)))
        {
            throw new IOException($"bundle path '{directory}' exists and is not a directory");
        }

        var created = !Directory.Exists(directory);
        if (created)
        {
            Directory.CreateDirectory(directory, PrivateDirectoryMode);
        }
        else
        {
            var entries = Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).ToList();
            var emptyRootfs = entries is ["rootfs"] && IsRealDirectory(Path.Combine(directory, "rootfs"))
                && !Directory.EnumerateFileSystemEntries(Path.Combine(directory, "rootfs")).Any();
            if (entries.Count > 0 && !emptyRootfs)
            {
                throw new IOException($"bundle directory '{directory}' is not empty");
            }
        }

        // Setuid binaries in the rootfs must not be reachable by other users (CVE-2021-41103).
        File.SetUnixFileMode(directory, PrivateDirectoryMode);
        return created;
    }

    private static void WriteMarker(string directory, BundleMode mode)
        => AtomicFile.Write(
            Path.Combine(directory, MarkerFileName),
            Encoding.ASCII.GetBytes(mode == BundleMode.Overlay ? "overlay\n" : "flatten\n"),
            UnixFileMode.UserRead | UnixFileMode.UserWrite);

    private bool TryMountOverlay(Bundle bundle, List<string> layers, LowerLayerLinkPlan? links, LayerStack? stack)
    {
        if (layers.Count == 0)
        {
            LogOverlayFallback(_logger, bundle.Directory, "the image has no layers");
            return false;
        }

        var upper = Path.Combine(bundle.Directory, "upper");
        var work = Path.Combine(bundle.Directory, "work");
        foreach (var path in layers.Append(upper).Append(work))
        {
            if (path.IndexOfAny([',', ':', '\\']) >= 0)
            {
                LogOverlayFallback(_logger, bundle.Directory, $"the path '{path}' contains a character overlayfs options can't hold");
                return false;
            }
        }

        // overlayfs ignores the opaque attribute on a lower layer's root, where flattening (and umoci)
        // drop everything below: the layers under the upper-most opaque root are left out of the mount.
        var visible = layers.FindLastIndex(HasOpaqueRoot) is var opaque and > 0 ? layers[opaque..] : layers;
        var options = "lowerdir=" + string.Join(':', Enumerable.Reverse(visible)) + ",upperdir=" + upper + ",workdir=" + work;
        if (Encoding.UTF8.GetByteCount(options) > Mounts.MaxDataLength)
        {
            LogOverlayFallback(_logger, bundle.Directory, $"the mount options for {layers.Count} layers exceed one page");
            return false;
        }

        Directory.CreateDirectory(upper, PrivateDirectoryMode);
        Directory.CreateDirectory(work, PrivateDirectoryMode);

        // The root's own attributes still come from every layer: an opaque marker hides content only.
        PrepareRoot(layers, upper);
        PrepareImplicitDirectories(visible, upper);
        PrepareFromMergedView(visible, upper, bundle.RootfsPath, links, stack);
        var errno = Mounts.TryMount("overlay", bundle.RootfsPath, "overlay", 0, options);
        if (errno == 0)
        {
            return true;
        }

        if (errno is Errno.EINVAL or Mounts.ErrnoNoDevice or Errno.EPERM)
        {
            LogOverlayFallback(_logger, bundle.Directory, new NativeCallException(errno, "mount", "overlay", bundle.RootfsPath).Message);
            TreeRemover.Delete(upper);
            TreeRemover.Delete(work);
            return false;
        }

        throw new NativeCallException(errno, "mount", "overlay", bundle.RootfsPath);
    }

    private static bool HasOpaqueRoot(string layer)
        => ExtendedAttributes.Get(layer, "trusted.overlay.opaque") is [(byte)'y'];

    private void Flatten(string rootfs, List<string> layers, LayerStack? stack, CancellationToken cancellationToken)
    {
        // The bundle directory around it stays private; the root itself starts as 0755 root and takes
        // the attributes of every layer with a ./ entry on the way up.
        using var root = FileSystemCalls.Open(rootfs, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow);
        FileSystemCalls.ChangeOwner(root, 0, 0);
        FileSystemCalls.ChangeMode(root, RootfsRootMode);
        var heldDirectory = Path.Combine(Path.GetDirectoryName(rootfs)!, HeldTargetsDirectoryName);
        for (var index = 0; index < layers.Count; index++)
        {
            var layer = layers[index];
            var held = stack is not null && LowerLayerLinkPlan.HasLinks(layer) ? HoldLowerLayerLinkTargets(stack, index, root, heldDirectory) : null;
            LayerFlattener.Apply(layer, root, warning => LogFlattenWarning(_logger, layer, warning), cancellationToken);
            if (held is not null)
            {
                LinkHeldTargets(held, root, heldDirectory);
            }
        }

        if (Directory.Exists(heldDirectory))
        {
            Directory.Delete(heldDirectory);
        }
    }

    private async Task UnmountRootfsAsync(string rootfs, CancellationToken cancellationToken)
    {
        if (!IsRealDirectory(rootfs))
        {
            return;
        }

        var real = RealPath(rootfs);
        for (var attempt = 0; Mounts.IsMountPoint(real); attempt++)
        {
            var errno = Mounts.TryUnmount(real);
            if (errno == Errno.EBUSY && attempt < 20)
            {
                await Task.Delay(BusyRetryDelay, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (errno == Errno.EBUSY)
            {
                // Still in use (a process inside the container): detach now, the kernel finishes later.
                LogLazyUnmount(_logger, real);
                errno = Mounts.TryUnmount(real, Mounts.UnmountDetach | Mounts.UnmountNoFollow);
            }

            if (errno != 0 && errno != Errno.EINVAL)
            {
                throw new NativeCallException(errno, "umount2", real);
            }
        }
    }

    private async Task CleanUpAsync(string directory, bool created)
    {
        try
        {
            await UnmountRootfsAsync(Path.Combine(directory, "rootfs"), CancellationToken.None).ConfigureAwait(false);
            if (created)
            {
                TreeRemover.Delete(directory);
            }
            else
            {
                using var descriptor = FileSystemCalls.Open(directory, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.NoFollow);
                TreeRemover.DeleteChildren(descriptor, directory);
            }
        }
        catch (IOException e)
        {
            LogCleanupFailed(_logger, e, directory);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bundle {Bundle}: overlayfs unavailable ({Reason}); flattening the layers instead")]
    private static partial void LogOverlayFallback(ILogger logger, string bundle, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Flattening layer {Layer}: {Warning}")]
    private static partial void LogFlattenWarning(ILogger logger, string layer, string warning);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rootfs {Rootfs} is busy; detaching it lazily")]
    private static partial void LogLazyUnmount(ILogger logger, string rootfs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not clean up the failed bundle {Bundle}")]
    private static partial void LogCleanupFailed(ILogger logger, Exception exception, string bundle);
}
