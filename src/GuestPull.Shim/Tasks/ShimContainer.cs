using GuestPull.Shim.Rootfs;

namespace GuestPull.Shim.Tasks;

/// <summary>A container of the pod: its own process, its execs and what the shim made on the host for it.</summary>
internal sealed class ShimContainer
{
    public ShimContainer(string id, string bundle, bool isSandbox, ShimProcess init, RootfsPlan rootfs, string? cgroupsPath)
    {
        CgroupsPath = cgroupsPath;
        Id = id;
        Bundle = bundle;
        IsSandbox = isSandbox;
        Init = init;
        Rootfs = rootfs;
    }

    public string Id { get; }

    /// <summary>The spec's linux.cgroupsPath, where runc in the guest puts the container's cgroups.</summary>
    public string? CgroupsPath { get; }

    public string Bundle { get; }

    public bool IsSandbox { get; }

    public ShimProcess Init { get; }

    public RootfsPlan Rootfs { get; }

    /// <summary>Exec'd processes by exec id; guarded by the lock of the <see cref="ShimContainerTable"/> holding the container.</summary>
    public Dictionary<string, ShimProcess> Execs { get; } = new(StringComparer.Ordinal);
}
