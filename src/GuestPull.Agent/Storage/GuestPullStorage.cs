namespace GuestPull.Agent.Storage;

/// <summary>The one <c>image_guest_pull</c> storage of a CreateContainer request, parsed.</summary>
/// <param name="Source">The image reference, "pause", or empty when the shim sent none.</param>
/// <param name="Metadata">The metadata of the <c>image_guest_pull=</c> driver option (volume metadata and container annotations).</param>
/// <param name="MountPoint">Where the rootfs is to be mounted; empty when the shim left it to the agent.</param>
internal sealed record GuestPullStorage(string Source, IReadOnlyDictionary<string, string> Metadata, string MountPoint);
