using GuestPull.Oci.Model;

namespace GuestPull.Images.Pull;

/// <summary>A progress report for one layer of a pull.</summary>
/// <param name="Index">The layer's position in the image, base first.</param>
/// <param name="Layer">The layer's descriptor.</param>
/// <param name="State">Where it stands.</param>
/// <param name="BytesRead">Compressed bytes received so far.</param>
public sealed record LayerPullProgress(int Index, Descriptor Layer, LayerPullState State, long BytesRead);
