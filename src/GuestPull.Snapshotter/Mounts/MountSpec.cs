namespace GuestPull.Snapshotter.Mounts;

/// <summary>A mount handed back to containerd (containerd.types.Mount without a target).</summary>
internal sealed record MountSpec(string Type, string Source, IReadOnlyList<string> Options);
