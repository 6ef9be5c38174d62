using System.Text.Json;
using GuestPull.Oci.Model;

namespace GuestPull.Images.Signatures;

/// <summary>
/// The "simple signing" JSON both signature formats sign:
/// <c>{"critical": {"type": …, "image": {"docker-manifest-digest": …}, "identity": {"docker-reference": …}}, "optional": {…}}</c>.
/// Parsed strictly, because it is read only after the signature verified and its fields then decide
/// acceptance: unknown critical fields are refused (a signer may have meant something we ignore).
/// </summary>
internal sealed record SimpleSigningPayload(Digest ManifestDigest, DockerIdentity Identity)
{
    public const string AtomicType = "atomic container signature";
    public const string CosignType = "cosign container image signature";

    /// <exception cref="SignatureVerificationException">The payload is not a valid signature of <paramref name="expectedType"/>.</exception>
    public static SimpleSigningPayload Parse(ReadOnlySpan<byte> json, string expectedType)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false });
            var root = Object(document.RootElement, "payload");
            OnlyFields(root, "payload", "critical", "optional");
            if (root.TryGetProperty("optional", out var optional) && optional.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
            {
                throw Invalid("\"optional\" must be an object or null");
            }

            var critical = Object(Property(root, "critical", "payload"), "critical");
            OnlyFields(critical, "critical", "type", "image", "identity");
            var type = String(critical, "type", "critical");
            if (type != expectedType)
            {
                throw Invalid($"critical.type is \"{type}\", expected \"{expectedType}\"");
            }

            var image = Object(Property(critical, "image", "critical"), "critical.image");
            OnlyFields(image, "critical.image", "docker-manifest-digest");
            var digestText = String(image, "docker-manifest-digest", "critical.image");
            if (!Digest.TryParse(digestText, out var digest))
            {
                throw Invalid($"critical.image.docker-manifest-digest \"{digestText}\" is not a valid digest");
            }

            var identity = Object(Property(critical, "identity", "critical"), "critical.identity");
            OnlyFields(identity, "critical.identity", "docker-reference");
            var referenceText = String(identity, "docker-reference", "critical.identity");
            DockerIdentity reference;
            try
            {
                reference = DockerIdentity.Parse(referenceText);
            }
            catch (FormatException ex)
            {
                throw Invalid($"critical.identity.docker-reference: {ex.Message}");
            }

            return new SimpleSigningPayload(digest, reference);
        }
        catch (JsonException ex)
        {
            throw Invalid($"not valid JSON ({ex.Message})");
        }
    }

    private static JsonElement Property(JsonElement obj, string name, string where) =>
        obj.TryGetProperty(name, out var value) ? value : throw Invalid($"{where} has no \"{name}\"");

    private static JsonElement Object(JsonElement element, string where) =>
        element.ValueKind == JsonValueKind.Object ? element : throw Invalid($"{where} is not a JSON object");

    private static string String(JsonElement obj, string name, string where)
    {
        var value = Property(obj, name, where);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Invalid($"{where}.{name} is not a string");
    }

    private static void OnlyFields(JsonElement obj, string where, params string[] allowed)
    {
        foreach (var property in obj.EnumerateObject())
        {
            if (!allowed.Contains(property.Name, StringComparer.Ordinal))
            {
                throw Invalid($"{where} has unknown field \"{property.Name}\"");
            }
        }
    }

    private static SignatureVerificationException Invalid(string detail) => new($"invalid signature payload: {detail}");
}
