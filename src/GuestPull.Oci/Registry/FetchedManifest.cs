using GuestPull.Oci.Model;

namespace GuestPull.Oci.Registry;

/// <summary>A verified manifest or index and the registry host that served it (the registry or a mirror).</summary>
/// <param name="Document">The document.</param>
/// <param name="ServedBy">The <c>host[:port]</c> it came from.</param>
public sealed record FetchedManifest(ManifestDocument Document, string ServedBy);
