using GuestPull.Api.Agent.V1;

namespace GuestPull.Shim.Rootfs;

/// <summary>How a container gets its rootfs: a storage for the agent, or a host mount shared with the sandbox.</summary>
/// <param name="Storages">Storages sent with CreateContainer.</param>
/// <param name="RootPath">The spec's root.path, in the guest's terms.</param>
/// <param name="HostMounts">Host mount points the shim made for this container (unmounted at Delete), deepest last.</param>
/// <param name="HostDirectory">The container's host directory under the shared directory, removed at Delete; null when none was made.</param>
internal sealed record RootfsPlan(
    IReadOnlyList<Storage> Storages,
    string RootPath,
    IReadOnlyList<string> HostMounts,
    string? HostDirectory)
{
    public bool IsGuestPull => Storages.Count > 0;
}
