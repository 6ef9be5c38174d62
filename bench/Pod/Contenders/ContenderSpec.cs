using GuestPull.Testing.Cri;

namespace GuestPull.Bench.Pod.Contenders;

/// How one contender's node is set up: the runtime handler its pods ask for, the snapshotter CRI pulls
/// into, and the User-Agent prefix of whoever must download the layers (the agent, or containerd).
internal sealed record ContenderSpec(string Name, string Description, string Handler, string Snapshotter, string LayerFetcher, CriNodeOptions NodeOptions)
{
    public const string GuestPull = "guestpull";
    public const string Runc = "runc";

    public static IReadOnlyList<string> Names { get; } = [GuestPull, Runc];

    public static ContenderSpec For(string name, IReadOnlyList<string> guestPullCommand) => name switch
    {
        GuestPull => new(
            GuestPull,
            "handler guestpull (io.containerd.guestpull.v2, `guestpull shim`): the image is pulled by the agent in the pod's sandbox; CRI's PullImage goes through `guestpull snapshotter` (proxy driver), which keeps no layer on the host",
            CriNode.Handler,
            "guestpull",
            "guestpull/",
            new CriNodeOptions { GuestPullCommand = guestPullCommand }),
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
