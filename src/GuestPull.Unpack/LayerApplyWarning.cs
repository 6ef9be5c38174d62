namespace GuestPull.Unpack;

/// <summary>Something in a layer that was skipped or degraded rather than failing the layer.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Path">The entry's path inside the root.</param>
/// <param name="Message">A sentence for logs.</param>
public sealed record LayerApplyWarning(LayerWarningKind Kind, string Path, string Message);
