using System.Text;
using System.Text.Json;

namespace GuestPull.Testing;

/// Attaches cosign-format signatures to an image in a docker-registry the way cosign does (its
/// "tag" scheme): an OCI manifest tagged sha256-&lt;hex&gt;.sig in the image's repository whose
/// layers are the payloads (media type application/vnd.dev.cosign.simplesigning.v1+json), each
/// with the base64 signature in the dev.cosignproject.cosign/signature annotation. Written into the
/// registry's storage directly, which the registry then serves like a pushed manifest.
public static class CosignAttachment
{
    public const string PayloadMediaType = "application/vnd.dev.cosign.simplesigning.v1+json";
    public const string SignatureAnnotation = "dev.cosignproject.cosign/signature";

    public static string SignatureTag(string manifestDigest) => manifestDigest.Replace(':', '-') + ".sig";

    /// Writes the signature manifest for <paramref name="manifestDigest"/>; returns (manifest digest, payload blob digests).
    public static (string ManifestDigest, IReadOnlyList<string> PayloadDigests) Attach(
        RegistryInstance registry, string repository, string manifestDigest, params (byte[] Payload, string Signature)[] signatures)
    {
        var storage = registry.Storage;
        var config = Encoding.UTF8.GetBytes("{\"architecture\":\"\",\"config\":{},\"created\":\"0001-01-01T00:00:00Z\",\"history\":[],\"os\":\"\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
        var configDigest = storage.WriteRawBlob(config);
        storage.LinkBlob(repository, configDigest);
        var layers = new List<object>();
        var payloadDigests = new List<string>();
        foreach (var (payload, signature) in signatures)
        {
            var digest = storage.WriteRawBlob(payload);
            storage.LinkBlob(repository, digest);
            payloadDigests.Add(digest);
            layers.Add(new Dictionary<string, object>
            {
                ["mediaType"] = PayloadMediaType,
                ["size"] = payload.Length,
                ["digest"] = digest,
                ["annotations"] = new Dictionary<string, string> { [SignatureAnnotation] = signature },
            });
        }

        var manifest = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = new Dictionary<string, object> { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["size"] = config.Length, ["digest"] = configDigest },
            ["layers"] = layers,
        });
        return (storage.PutRawManifest(repository, SignatureTag(manifestDigest), manifest), payloadDigests);
    }
}
