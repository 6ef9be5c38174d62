using System.Text.Json.Nodes;
using GuestPull.Shim.Rootfs;

namespace GuestPull.Shim.Sandbox;

/// <summary>A container being created: what <see cref="ISandbox.PrepareContainerAsync"/> needs.</summary>
/// <param name="ContainerId">The container id.</param>
/// <param name="Bundle">Its host bundle directory.</param>
/// <param name="Spec">Its OCI spec, rewritten in place for the guest.</param>
/// <param name="Rootfs">The rootfs mounts containerd passed with Create.</param>
/// <param name="Annotations">The spec's annotations.</param>
/// <param name="IsSandbox">True for the pod's sandbox (pause) container.</param>
internal sealed record ContainerSpecRequest(
    string ContainerId,
    string Bundle,
    JsonObject Spec,
    IReadOnlyList<RootfsMount> Rootfs,
    IReadOnlyDictionary<string, string> Annotations,
    bool IsSandbox);
