using System.Text.Json.Nodes;
using GuestPull.Agent.Configuration;
using GuestPull.Agent.Storage;
using GuestPull.Api.Cri;
using GuestPull.Images.Bundles;
using GuestPull.Linux;
using GuestPull.Ttrpc;

namespace GuestPull.Agent.Containers;

/// <summary>
/// Plans each container's bundle from its CreateContainer request: the pause rootfs for a sandbox, the image
/// pulled in the guest for the others, or the rootfs the host shared when the request has no guest-pull storage.
/// Layers are shared through the store; every container gets its own bundle.
/// </summary>
internal sealed class ContainerBundlePreparer
{
    public const string PauseSource = "pause";

    /// <summary>What ListContainers reports as the image of a container whose rootfs the host shared.</summary>
    public const string HostRootfsImage = "(rootfs shared by the host)";
    private const string DummySource = "dummy-image-reference";

    private readonly AgentSettings _settings;
    private readonly GuestImageService _images;
    private readonly string? _pauseLayer;
    private readonly BundleWriter _bundles;

    public ContainerBundlePreparer(AgentSettings settings, GuestImageService images, string? pauseLayer, BundleWriter bundles)
    {
        _settings = settings;
        _images = images;
        _pauseLayer = pauseLayer;
        _bundles = bundles;
    }

    /// <summary>The bundle of a container whose rootfs is the pause layer (sandbox) or an image pulled in the guest.</summary>
    public ContainerBundlePlan ForGuestPull(string id, JsonObject spec, GuestPullStorage storage)
    {
        var sandbox = CriAnnotations.IsSandbox(key => SpecMerger.Annotation(spec, key)) || storage.Source == PauseSource;
        var image = sandbox ? PauseSource : ImageName(storage, spec);
        var bundle = Path.Combine(_settings.BundleRoot, id);
        var rootfs = Path.Combine(bundle, "rootfs");
        if (storage.MountPoint.Length > 0 && Path.TrimEndingDirectorySeparator(storage.MountPoint) != rootfs)
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, $"storage mount_point \"{storage.MountPoint}\" must be the bundle's rootfs \"{rootfs}\"");
        }

        return new ContainerBundlePlan(bundle, image, async cancellationToken =>
        {
            Func<string, JsonObject> specFactory;
            IReadOnlyList<string> layers;
            if (sandbox)
            {
                layers = _pauseLayer is { } pause
                    ? [pause]
                    : throw new TtrpcException(TtrpcStatusCode.FailedPrecondition, $"cannot create sandbox container {id}: the agent has no pause binary ({_settings.PauseBinary} is missing)");
                specFactory = path => SpecMerger.ForPause(spec, path);
            }
            else
            {
                var pulled = await _images.PullAsync(image, cancellationToken).ConfigureAwait(false);
                layers = pulled.LayerDirectories;
                specFactory = path => SpecMerger.ForImage(spec, pulled.Config, path);
            }

            await _bundles.CreateAsync(bundle, layers, specFactory, BundleMode.Overlay, cancellationToken).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// The bundle of a container whose image the host unpacked (no guest-pull volume): the shim mounted its rootfs in
    /// the directory it shares with the sandbox and names it in root.path. Only allowed below
    /// <see cref="AgentSettings.HostRootfsRoot"/>; the bundle holds just config.json, and removing the
    /// container never touches that rootfs (the shim unmounts it).
    /// </summary>
    public ContainerBundlePlan ForHostRootfs(string id, JsonObject spec)
    {
        var rootPath = (spec["root"] as JsonObject)?["path"]?.GetValue<string>() ?? string.Empty;
        if (_settings.HostRootfsRoot is not { } allowed)
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, $"container {id} has no storage with driver \"{StorageParser.GuestPullDriver}\" and this agent takes no rootfs from the host (host_rootfs_root is not set)");
        }

        var full = Path.IsPathFullyQualified(rootPath) ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootPath)) : string.Empty;
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(allowed));
        if (full.Length == 0 || !full.StartsWith(root + "/", StringComparison.Ordinal))
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, $"container {id}: root.path \"{rootPath}\" must be an absolute path below {root}, where the host shares root filesystems");
        }

        if (!Directory.Exists(full))
        {
            throw new TtrpcException(TtrpcStatusCode.NotFound, $"container {id}: the host-shared rootfs {full} does not exist");
        }

        var bundle = Path.Combine(_settings.BundleRoot, id);
        return new ContainerBundlePlan(bundle, HostRootfsImage, async cancellationToken =>
        {
            Directory.CreateDirectory(bundle, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            try
            {
                ((JsonObject)spec["root"]!)["path"] = full;
                await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), spec.ToJsonString(), cancellationToken).ConfigureAwait(false);
                // The marker lets the bundle be removed like any other; there is no rootfs/ in it to unmount.
                await File.WriteAllTextAsync(Path.Combine(bundle, BundleWriter.MarkerFileName), "host-rootfs", cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                TreeRemover.Delete(bundle);
                throw;
            }
        });
    }

    private static string ImageName(GuestPullStorage storage, JsonObject spec)
    {
        if (storage.Source.Length > 0 && storage.Source != DummySource)
        {
            return storage.Source;
        }

        return CriAnnotations.First(key => SpecMerger.Annotation(spec, key), CriAnnotations.ImageNameKeys)
            ?? CriAnnotations.First(key => storage.Metadata.GetValueOrDefault(key), CriAnnotations.ImageNameKeys)
            ?? throw new TtrpcException(
                TtrpcStatusCode.InvalidArgument,
                $"Failed to get image name from annotations: the image_guest_pull storage has no source and neither the spec nor the driver option carries {CriAnnotations.ImageName}");
    }
}
