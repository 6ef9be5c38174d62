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
        var nydus = mounts.Where(mount => mount.IsNydusOverlay).ToList();
        if (nydus.Count > 0)
        {
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

            if (volume.VolumeType != KataVirtualVolume.ImageGuestPullType)
            {
                throw new ShimException($"container {containerId}: unsupported Kata volume type \"{volume.VolumeType}\" in the rootfs mount (only \"{KataVirtualVolume.ImageGuestPullType}\" is)");
            }

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
}
