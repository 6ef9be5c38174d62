namespace GuestPull.Oci.Model;

/// <summary>An OCI image index or Docker manifest list.</summary>
/// <param name="MediaType">The index's media type.</param>
/// <param name="Manifests">The entries, in the order the index lists them.</param>
public sealed record ImageIndex(string MediaType, IReadOnlyList<Descriptor> Manifests)
{
    /// <summary>Annotations of the index.</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The first image manifest entry whose platform runs on <paramref name="platform"/>. Entries
    /// without a platform are skipped, as are attestation manifests (<c>unknown/unknown</c>).
    /// </summary>
    /// <exception cref="PlatformNotFoundException">No entry matches; the message lists the platforms offered.</exception>
    public Descriptor SelectPlatform(Platform platform)
    {
        ArgumentNullException.ThrowIfNull(platform);
        var candidates = Manifests.Where(m => m.Platform is not null && (MediaTypes.IsManifest(m.MediaType) || MediaTypes.IsIndex(m.MediaType))).ToList();

        // Prefer an exact variant match over an entry that merely does not contradict it.
        var match = candidates.FirstOrDefault(m => m.Platform!.Matches(platform) && m.Platform.Variant == platform.Variant)
            ?? candidates.FirstOrDefault(m => m.Platform!.Matches(platform));
        if (match is null)
        {
            var offered = candidates.Count == 0 ? "none" : string.Join(", ", candidates.Select(m => m.Platform!.ToString()).Distinct());
            throw new PlatformNotFoundException($"no image for platform {platform} in the index (it offers: {offered})");
        }

        return match;
    }
}
