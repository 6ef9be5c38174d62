using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;

namespace GuestPull.Images.Signatures;

/// <summary>
/// Finds cosign signatures of a manifest in the image's own repository: the tag
/// <c>sha256-&lt;hex&gt;.sig</c> (cosign's tag schema), and, when that tag does not exist, manifests of
/// artifact type <c>application/vnd.dev.cosign.artifact.sig.v1+json</c> listed by the referrers API.
/// Blobs are verified against their digests by the registry client; a blob that fails is recorded
/// as a corrupted signature rather than aborting the evaluation.
/// </summary>
internal static class SigstoreSignatureFetcher
{
    public const string SignatureArtifactType = "application/vnd.dev.cosign.artifact.sig.v1+json";
    private const int MaxPayloadSize = 4 * 1024 * 1024;
    private const int MaxSignatures = 64;

    /// <summary>Only simple-signing layers are signatures; other attachments (SBOMs, text) are ignored.</summary>
    public static bool IsSignatureLayer(string mediaType) => mediaType == SigstoreSignature.PayloadMediaType;

    public static async Task<FetchedSignatures<SigstoreSignature>> FetchAsync(RegistryClient registry, ImageReference image, Digest digest, CancellationToken cancellationToken)
    {
        var tag = $"{digest.Algorithm}-{digest.Hex}.sig";
        var tagReference = image.WithTag(tag);
        var location = $"tag {tagReference}";
        var manifests = new List<ManifestDocument>();
        try
        {
            manifests.Add((await registry.GetManifestAsync(tagReference, cancellationToken).ConfigureAwait(false)).Document);
        }
        catch (RegistryException ex) when (ex.IsNotFound)
        {
            location += $" (absent) and the referrers API for {image.Name}@{digest}";
            try
            {
                var referrers = await registry.GetReferrersAsync(image, digest, SignatureArtifactType, cancellationToken).ConfigureAwait(false);
                foreach (var entry in referrers?.Manifests.Take(MaxSignatures) ?? [])
                {
                    manifests.Add((await registry.GetManifestAsync(image.WithDigest(entry.Digest), cancellationToken).ConfigureAwait(false)).Document);
                }
            }
            catch (Exception inner) when (inner is RegistryException or OciFormatException)
            {
                return new FetchedSignatures<SigstoreSignature>([], location, $"the referrers API failed: {inner.Message}");
            }
        }
        catch (Exception ex) when (ex is RegistryException or OciFormatException)
        {
            return new FetchedSignatures<SigstoreSignature>([], location, $"reading {location} failed: {ex.Message}");
        }

        var signatures = new List<SigstoreSignature>();
        foreach (var manifest in manifests)
        {
            foreach (var layer in manifest.Manifest?.Layers ?? [])
            {
                if (!IsSignatureLayer(layer.MediaType) || signatures.Count >= MaxSignatures)
                {
                    continue;
                }

                var source = $"{image.Name}@{manifest.Digest} layer {layer.Digest}";
                layer.Annotations.TryGetValue(SigstoreSignature.SignatureAnnotation, out var signature);
                try
                {
                    var payload = await registry.GetBlobAsync(image, layer, MaxPayloadSize, cancellationToken).ConfigureAwait(false);
                    signatures.Add(new SigstoreSignature(source, payload.ToArray(), signature));
                }
                catch (Exception ex) when (ex is RegistryException or InvalidDataException)
                {
                    signatures.Add(new SigstoreSignature(source, null, signature, $"corrupted signature: the payload blob {layer.Digest} could not be read intact: {ex.Message}"));
                }
            }
        }

        return new FetchedSignatures<SigstoreSignature>(signatures, location);
    }
}
