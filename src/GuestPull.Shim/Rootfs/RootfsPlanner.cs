using GuestPull.Api.Kata;
using GuestPull.Linux;

namespace GuestPull.Shim.Rootfs;

/// <summary>
/// Decides where a container's rootfs comes from (docs/contracts.md, sections 4 and 5): an <c>image_guest_pull</c> volume
/// becomes a storage the agent pulls in the guest; anything else is mounted on the host under the
/// pod's shared directory, which the guest sees.
/// </summary>
internal static class RootfsPlanner
{
    public static RootfsPlan Plan(
        string containerId,
        string bundle,
        string specRootPath,
        IReadOnlyList<RootfsMount> mounts,
        IReadOnlyDictionary<string, string> annotations,
        bool isSandbox,
        string sharedDirectory,
        string guestBundleRoot,
        Func<string, string> guestPathOf)
    {
        if (FindGuestPullVolume(containerId, mounts) is { } volume)
        {
            var storage = GuestPullStorageBuilder.Build(containerId, volume, annotations, isSandbox, guestBundleRoot);
            return new RootfsPlan([storage], storage.MountPoint, [], null);
        }

        // Host rootfs: mount it (or bind the bundle's own rootfs) under the shared directory.
        var containerDirectory = Path.Combine(sharedDirectory, containerId);
        var target = Path.Combine(containerDirectory, "rootfs");
        Directory.CreateDirectory(target);
        var made = new List<string>();
        try
        {
            if (mounts.Count == 0)
            {
                var source = Path.IsPathRooted(specRootPath) ? specRootPath : Path.Combine(bundle, specRootPath);
                Mounts.Mount(source, target, null, Mounts.Bind | Mounts.Recursive, null);
                made.Add(target);
            }
            else
            {
                foreach (var mount in mounts)
                {
                    var (flags, data) = MountOptions.Parse(mount.Type, mount.Options);
                    var type = (flags & Mounts.Bind) != 0 ? null : mount.Type;
                    Mounts.Mount(mount.Source, target, type, flags, data.Length == 0 ? null : data);
                    made.Add(target);
                }
            }
        }
        catch (NativeCallException ex)
        {
            foreach (var mountPoint in made)
            {
                _ = Mounts.TryUnmount(mountPoint, Mounts.UnmountDetach);
            }

            TreeRemover.Delete(containerDirectory);
            throw new ShimException($"container {containerId}: cannot mount its rootfs at {target}: {ex.Message}", ex);
        }

        return new RootfsPlan([], guestPathOf(target), made, containerDirectory);
    }

    /// <summary>
    /// The plan in a sandbox that shares nothing with the host (a VM): the rootfs is always pulled in the
    /// guest. The sandbox container runs the agent's built-in pause whatever the host prepared for it; any
    /// other container without an <c>image_guest_pull</c> volume is refused, since its rootfs was unpacked
    /// on the host and a guest-pull pod never runs that.
    /// </summary>
    public static RootfsPlan PlanInGuest(
        string containerId,
        IReadOnlyList<RootfsMount> mounts,
        IReadOnlyDictionary<string, string> annotations,
        bool isSandbox,
        string guestBundleRoot)
    {
        var volume = FindGuestPullVolume(containerId, mounts);
        if (volume is null && !isSandbox)
        {
            var kind = mounts.Count == 0 ? "a directory in its bundle" : $"a {mounts[0].Type} mount";
            throw new ShimException(
                $"container {containerId}: its rootfs was unpacked on the host ({kind}), and a VM sandbox only runs images pulled in the guest; "
                + "make containerd use the guestpull snapshotter for this runtime (guestpull install --runtime-specific, or the global snapshotter)");
        }

        var storage = GuestPullStorageBuilder.Build(containerId, volume ?? new KataVirtualVolume { VolumeType = KataVirtualVolume.ImageGuestPullType }, annotations, isSandbox, guestBundleRoot);
        return new RootfsPlan([storage], storage.MountPoint, [], null);
    }

    /// <summary>The <c>image_guest_pull</c> volume of a nydus-style rootfs mount; null when the rootfs is an ordinary host mount.</summary>
    private static KataVirtualVolume? FindGuestPullVolume(string containerId, IReadOnlyList<RootfsMount> mounts)
    {
        var nydus = mounts.Where(mount => mount.IsNydusOverlay).ToList();
        if (nydus.Count == 0)
        {
            return null;
        }

        if (mounts.Count != 1)
        {
            throw new ShimException($"container {containerId}: a {nydus[0].Type} rootfs must be the only rootfs mount, got {mounts.Count}");
        }

        KataVirtualVolume? volume;
        try
        {
            volume = KataVolumeOption.Find(nydus[0].Options);
        }
        catch (KataVolumeFormatException ex)
        {
            throw new ShimException(ex.Message, ex);
        }

        if (volume is null)
        {
            throw new ShimException($"container {containerId}: the {nydus[0].Type} rootfs mount has no {KataVolumeOption.Prefix} option; GuestPull never mounts it on the host");
        }

        return volume.VolumeType == KataVirtualVolume.ImageGuestPullType
            ? volume
            : throw new ShimException($"container {containerId}: unsupported Kata volume type \"{volume.VolumeType}\" in the rootfs mount (only \"{KataVirtualVolume.ImageGuestPullType}\" is)");
    }
}
