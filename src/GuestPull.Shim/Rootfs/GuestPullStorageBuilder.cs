using System.Text.Json;
using GuestPull.Api.Agent.V1;
using GuestPull.Api.Cri;
using GuestPull.Api.Kata;
using GuestPull.Shim.Daemon;

namespace GuestPull.Shim.Rootfs;

/// <summary>Kata's translation of an <c>image_guest_pull</c> volume into the agent's storage (docs/contracts.md, section 5).</summary>
internal static class GuestPullStorageBuilder
{
    public const string Driver = "image_guest_pull";
    public const string PauseSource = "pause";

    public static Storage Build(string containerId, KataVirtualVolume volume, IReadOnlyDictionary<string, string> annotations, bool isSandbox, string guestBundleRoot)
    {
        var source = isSandbox ? PauseSource : ImageName(annotations);

        // The volume's metadata with every container annotation merged in (annotations win).
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in volume.ImagePull.Metadata)
        {
            metadata[key] = value;
        }

        foreach (var (key, value) in annotations)
        {
            metadata[key] = value;
        }

        var json = JsonSerializer.Serialize(new Dictionary<string, object> { ["metadata"] = metadata });
        return new Storage
        {
            Driver = Driver,
            DriverOptions = { Driver + "=" + json },
            Source = source,
            Fstype = "overlay",
            MountPoint = GuestRootfs(guestBundleRoot, containerId),
        };
    }

    public static string GuestRootfs(string guestBundleRoot, string containerId) => $"{guestBundleRoot}/{containerId}/rootfs";

    private static string ImageName(IReadOnlyDictionary<string, string> annotations) =>
        CriAnnotations.First(key => annotations.GetValueOrDefault(key), CriAnnotations.ImageNameKeys)
            ?? throw new ShimException($"Failed to get image name from annotations: the container's spec has no \"{CriAnnotations.ImageName}\" annotation, and its rootfs is an {Driver} volume");
}
