namespace GuestPull.Unpack;

/// <summary>
/// How a layer unpacked in overlay form (<see cref="WhiteoutMode.Overlay"/>) records a hard link whose
/// target is a file of a layer below it. The layer's own directory does not hold that file, and what
/// the link must become depends on the layers it is stacked on, which a layer directory shared by
/// several images does not know. So the link is written as a placeholder and resolved when the layers
/// are stacked (the image service's bundle writer): a 0:0 character device, like a whiteout (the
/// lower name it replaces is hidden), carrying <see cref="TargetAttribute"/> with the target's
/// normalised path. Links to a placeholder in the same layer share its inode. The layer's root carries
/// <see cref="LayerAttribute"/> (the number of such links) so that layers without any need no scan.
/// A layer may set neither attribute itself: names under <see cref="AttributePrefix"/> in a tar are refused.
/// </summary>
public static class LowerLayerHardLinks
{
    /// <summary>The prefix of every attribute GuestPull keeps on unpacked layers for itself.</summary>
    public const string AttributePrefix = "trusted.guestpull.";

    /// <summary>On a placeholder: the link's target, a path relative to the root (UTF-8, normalised, no leading slash).</summary>
    public const string TargetAttribute = AttributePrefix + "hardlink";

    /// <summary>On a layer's root: how many placeholders the layer holds (decimal), absent when none.</summary>
    public const string LayerAttribute = AttributePrefix + "lower-hardlinks";
}
