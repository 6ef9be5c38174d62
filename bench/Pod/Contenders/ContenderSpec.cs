using GuestPull.Testing.Cri;

namespace GuestPull.Bench.Pod.Contenders;

/// How one contender's node is set up: the runtime handler its pods ask for, the snapshotter CRI pulls
/// into, the User-Agent prefix of whoever must download the layers (the agent, or containerd), and
/// whether its pods are QEMU VMs, whose extra figures (<see cref="VmFigures"/>) are measured after each run.
internal sealed record ContenderSpec(string Name, string Description, string Handler, string Snapshotter, string LayerFetcher, CriNodeOptions NodeOptions, bool InVm = false)
{
    public const string GuestPull = "guestpull";
    public const string GuestPullVm = "guestpull-vm";
    public const string Runc = "runc";

    public static IReadOnlyList<string> Names { get; } = [GuestPull, GuestPullVm, Runc];

    public static ContenderSpec For(string name, IReadOnlyList<string> guestPullCommand, string guestImageDirectory) => name switch
    {
        // Said explicitly: the shim's own default sandbox is the VM.
        GuestPull => new(
            GuestPull,
            "handler guestpull (io.containerd.guestpull.v2, `guestpull shim`, sandbox = \"namespace\"): the image is pulled by the agent in the pod's namespace sandbox; CRI's PullImage goes through `guestpull snapshotter` (proxy driver), which keeps no layer on the host",
            CriNode.Handler,
            "guestpull",
            "guestpull/",
            new CriNodeOptions { GuestPullCommand = guestPullCommand, Sandbox = "namespace" }),
        GuestPullVm => new(
            GuestPullVm,
            $"handler guestpull (`guestpull shim`, sandbox = \"vm\", accel auto, guest image {guestImageDirectory}): each pod is a QEMU microvm whose NativeAOT agent pulls the image into guest memory; CRI's PullImage as for guestpull",
            CriNode.Handler,
            "guestpull",
            "guestpull/",
            new CriNodeOptions { GuestPullCommand = guestPullCommand, Sandbox = "vm", GuestImageDirectory = guestImageDirectory },
            InVm: true),
        Runc => new(
            Runc,
            "handler runc (io.containerd.runc.v2): CRI's PullImage fetches and unpacks every layer into containerd's overlayfs snapshotter",
            "runc",
            "overlayfs",
            "containerd/",
            new CriNodeOptions { GuestPullCommand = guestPullCommand, UseGuestPullSnapshotter = false }),
        _ => throw new ArgumentException($"unknown contender '{name}'; known: {string.Join(", ", Names)}", nameof(name)),
    };
}
