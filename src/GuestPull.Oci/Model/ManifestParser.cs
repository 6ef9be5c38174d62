using System.Text.Json;

namespace GuestPull.Oci.Model;

/// <summary>
/// Strict parser for OCI indexes/manifests and Docker manifest lists/schema 2 manifests. Schema 1
/// is refused. A document is rejected when its <c>mediaType</c> disagrees with the Content-Type it was
/// served with, or when it carries both <c>manifests</c> and <c>layers</c> (an ambiguous document
/// that two parsers could read differently), or when an object anywhere in it repeats a key.
/// </summary>
public static class ManifestParser
{
    /// <summary>Parses a manifest or index.</summary>
    /// <param name="bytes">The document, exactly as served.</param>
    /// <param name="contentType">The Content-Type it was served with, if any.</param>
    /// <param name="digestAlgorithmOf">A digest whose algorithm is used for <see cref="ManifestDocument.Digest"/>; sha256 when null.</param>
    /// <exception cref="OciFormatException">The document is invalid; the message names the field.</exception>
    /// <exception cref="UnsupportedManifestException">The document is a schema 1 manifest.</exception>
    public static ManifestDocument Parse(ReadOnlyMemory<byte> bytes, string? contentType, Digest? digestAlgorithmOf = null)
    {
        var served = MediaTypes.Normalize(contentType);
        if (MediaTypes.IsSchema1(served))
        {
            throw Schema1();
        }

        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException ex)
        {
            throw new OciFormatException($"manifest is not valid JSON: {ex.Message}", ex);
        }

        using (json)
        {
            // Before any key is looked up: a lookup may have to decode an escaped key.
            UndecodableJsonStrings.Refuse(bytes.Span, "manifest");
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new OciFormatException("manifest is not a JSON object");
            }

            DuplicateKeys.Refuse(root, root.TryGetProperty("manifests", out _) ? "index" : "manifest");

            var schemaVersion = root.TryGetProperty("schemaVersion", out var sv) && sv.ValueKind == JsonValueKind.Number && sv.TryGetInt32(out var v) ? v : (int?)null;
            if (schemaVersion == 1)
            {
                throw Schema1();
            }

            if (schemaVersion != 2)
            {
                throw new OciFormatException("manifest: \"schemaVersion\" must be 2");
            }

            var declared = JsonFields.OptionalString(root, "mediaType", "manifest");
            if (MediaTypes.IsSchema1(declared))
            {
                throw Schema1();
            }

            var hasManifests = root.TryGetProperty("manifests", out _);
            var hasLayers = root.TryGetProperty("layers", out _) || root.TryGetProperty("config", out _);
            if (hasManifests && hasLayers)
            {
                throw new OciFormatException("manifest: has both \"manifests\" and \"layers\"/\"config\"; refusing an ambiguous document");
            }

            var servedKnown = served is not null && (MediaTypes.IsIndex(served) || MediaTypes.IsManifest(served));
            if (declared is not null && servedKnown && declared != served)
            {
                throw new OciFormatException($"manifest: \"mediaType\" is {declared} but it was served as {served}");
            }

            var mediaType = declared ?? (servedKnown ? served! : hasManifests ? MediaTypes.OciIndex : MediaTypes.OciManifest);
            var digest = digestAlgorithmOf is { } d ? d.ComputeSameAlgorithm(bytes.Span) : Digest.ComputeSha256(bytes.Span);

            if (MediaTypes.IsIndex(mediaType))
            {
                if (!hasManifests)
                {
                    throw new OciFormatException($"index ({mediaType}): missing \"manifests\"");
                }

                var entries = JsonFields.RequiredArray(root, "manifests", "index")
                    .Select((e, i) => ReadDescriptor(e, $"index manifests[{i}]"))
                    .ToList();
                var index = new ImageIndex(mediaType, entries) { Annotations = JsonFields.StringMap(root, "annotations", "index") };
                return new ManifestDocument(mediaType, bytes, digest, index, null);
            }

            if (MediaTypes.IsManifest(mediaType))
            {
                if (hasManifests)
                {
                    throw new OciFormatException($"manifest ({mediaType}): has \"manifests\", which only an index may have");
                }

                if (!root.TryGetProperty("config", out var configElement))
                {
                    throw new OciFormatException("manifest: missing \"config\"");
                }

                var config = ReadDescriptor(configElement, "manifest config");
                var layers = JsonFields.RequiredArray(root, "layers", "manifest")
                    .Select((e, i) => ReadDescriptor(e, $"manifest layers[{i}]"))
                    .ToList();
                var manifest = new ImageManifest(mediaType, config, layers)
                {
                    Annotations = JsonFields.StringMap(root, "annotations", "manifest"),
                    Subject = root.TryGetProperty("subject", out var subject) ? ReadDescriptor(subject, "manifest subject") : null,
                    ArtifactType = JsonFields.OptionalString(root, "artifactType", "manifest"),
                };
                return new ManifestDocument(mediaType, bytes, digest, null, manifest);
            }

            throw new OciFormatException($"manifest: unsupported media type \"{mediaType}\"");
        }
    }

    /// <summary>Reads one descriptor object.</summary>
    internal static Descriptor ReadDescriptor(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new OciFormatException($"{where}: descriptor is not an object");
        }

        var mediaType = JsonFields.RequiredString(element, "mediaType", where);
        if (mediaType.Length == 0 || mediaType.Length > 255)
        {
            throw new OciFormatException($"{where}: \"mediaType\" is empty or too long");
        }

        var digestText = JsonFields.RequiredString(element, "digest", where);
        if (!Digest.TryParse(digestText, out var digest))
        {
            try
            {
                Digest.Parse(digestText);
            }
            catch (FormatException ex)
            {
                throw new OciFormatException($"{where}: {ex.Message}", ex);
            }
        }

        if (!element.TryGetProperty("size", out var sizeElement) || sizeElement.ValueKind != JsonValueKind.Number || !sizeElement.TryGetInt64(out var size) || size < 0)
        {
            throw new OciFormatException($"{where}: \"size\" must be a non-negative integer");
        }

        Platform? platform = null;
        if (element.TryGetProperty("platform", out var p) && p.ValueKind != JsonValueKind.Null)
        {
            if (p.ValueKind != JsonValueKind.Object)
            {
                throw new OciFormatException($"{where}: \"platform\" is not an object");
            }

            var os = JsonFields.RequiredString(p, "os", where + " platform");
            var architecture = JsonFields.RequiredString(p, "architecture", where + " platform");
            if (os.Length == 0 || architecture.Length == 0)
            {
                throw new OciFormatException($"{where}: platform \"os\" and \"architecture\" must not be empty");
            }

            platform = new Platform(os, architecture, JsonFields.OptionalString(p, "variant", where + " platform"));
        }

        return new Descriptor(mediaType, digest, size)
        {
            Platform = platform,
            Annotations = JsonFields.StringMap(element, "annotations", where),
            Urls = JsonFields.StringList(element, "urls", where),
            ArtifactType = JsonFields.OptionalString(element, "artifactType", where),
        };
    }

    private static UnsupportedManifestException Schema1() => new(
        "Docker schema 1 manifests are not supported (deprecated and unverifiable); push the image again as OCI or Docker schema 2, e.g. skopeo copy --format v2s2");
}
