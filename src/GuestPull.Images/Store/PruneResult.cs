using GuestPull.Oci.Model;

namespace GuestPull.Images.Store;

/// <summary>What <see cref="LayerStore.PruneAsync"/> removed.</summary>
/// <param name="RemovedLayers">The DiffIDs of the layers deleted.</param>
/// <param name="UnpackedBytes">The sum of their uncompressed tar sizes.</param>
public sealed record PruneResult(IReadOnlyList<Digest> RemovedLayers, long UnpackedBytes);
