using GuestPull.Linux;

namespace GuestPull.Images.Bundles;

/// <summary>What a path is in a <see cref="LayerStack"/>.</summary>
internal enum StackLookupKind
{
    /// <summary>A non-directory (<see cref="StackLookup.Layer"/> holds it).</summary>
    Found,

    /// <summary>No layer holds it, or a whiteout hides it.</summary>
    Missing,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A component (<see cref="StackLookup.Component"/>) is a symbolic link.</summary>
    ThroughSymbolicLink,

    /// <summary>A component (<see cref="StackLookup.Component"/>) is a file or device.</summary>
    ThroughNonDirectory,
}

/// <summary>The answer of <see cref="LayerStack.Lookup"/>: the kind, the layer that decided it, its status, and the path up to the deciding component.</summary>
internal readonly record struct StackLookup(StackLookupKind Kind, int Layer, FileStatus Status, string Component)
{
    /// <summary>Whether the found entry is itself a placeholder for a link into a lower layer.</summary>
    public bool IsLowerLayerHardLink { get; init; }
}
