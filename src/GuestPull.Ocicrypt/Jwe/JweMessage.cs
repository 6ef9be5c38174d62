using System.Text;
using System.Text.Json;

namespace GuestPull.Ocicrypt.Jwe;

/// <summary>
/// A JWE in JSON serialization (RFC 7516 §7.2), general (a <c>recipients</c> array) or flattened (one
/// recipient's <c>header</c> and <c>encrypted_key</c> at the top), which is how ocicrypt's JWE key wrapper
/// writes one document per layer for all its recipients. The compact form is refused: ocicrypt never writes it.
/// </summary>
public sealed class JweMessage
{
    private JweMessage(string protectedHeader, string? aad, string encryption, IReadOnlyList<JweRecipient> recipients, byte[] iv, byte[] ciphertext, byte[] tag)
    {
        EncodedProtectedHeader = protectedHeader;
        EncodedAad = aad;
        ContentEncryption = encryption;
        Recipients = recipients;
        Iv = iv;
        Ciphertext = ciphertext;
        Tag = tag;
    }

    /// <summary>The protected header exactly as sent (base64url), part of the content's additional data.</summary>
    public string EncodedProtectedHeader { get; }

    /// <summary>The extra additional data (base64url), when present.</summary>
    public string? EncodedAad { get; }

    /// <summary>The content encryption algorithm (<c>enc</c>), e.g. <c>A256GCM</c>.</summary>
    public string ContentEncryption { get; }

    /// <summary>The recipients, in document order.</summary>
    public IReadOnlyList<JweRecipient> Recipients { get; }

    /// <summary>The content's initialization vector.</summary>
    public byte[] Iv { get; }

    /// <summary>The encrypted content.</summary>
    public byte[] Ciphertext { get; }

    /// <summary>The authentication tag.</summary>
    public byte[] Tag { get; }

    /// <summary>The additional authenticated data of the content encryption (RFC 7516 §5.1 step 14).</summary>
    public byte[] AdditionalData => Encoding.ASCII.GetBytes(EncodedAad is null ? EncodedProtectedHeader : EncodedProtectedHeader + "." + EncodedAad);

    /// <summary>Parses a JWE JSON document; throws <see cref="FormatException"/> naming what is wrong.</summary>
    /// <param name="json">The document's bytes.</param>
    public static JweMessage Parse(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new FormatException("the JWE is not a JSON document (only the JSON serialization is supported): " + e.Message, e);
        }

        // The document comes from a manifest annotation: a string with no text form must be this parser's
        // refusal, not an InvalidOperationException from wherever it is first read.
        if (GuestPull.Oci.Model.UndecodableJsonStrings.FindFirst(json) is { } undecodable)
        {
            document.Dispose();
            throw new FormatException("the JWE is not a valid JSON document: " + undecodable);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("the JWE is not a JSON object");
            }

            var encodedProtected = OptionalString(root, "protected") ?? string.Empty;
            var shared = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            if (encodedProtected.Length > 0)
            {
                using var protectedHeader = JsonDocument.Parse(Base64Url.Decode(encodedProtected, "protected"));
                Merge(shared, protectedHeader.RootElement, "protected");
            }

            if (root.TryGetProperty("unprotected", out var unprotected))
            {
                Merge(shared, unprotected, "unprotected");
            }

            var recipients = new List<JweRecipient>();
            if (root.TryGetProperty("recipients", out var list))
            {
                if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
                {
                    throw new FormatException("the JWE's recipients are not a non-empty array");
                }

                foreach (var entry in list.EnumerateArray())
                {
                    recipients.Add(Recipient(shared, entry));
                }
            }
            else
            {
                recipients.Add(Recipient(shared, root));
            }

            var enc = shared.TryGetValue("enc", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new FormatException("the JWE has no content encryption algorithm (enc)");
            return new JweMessage(
                encodedProtected,
                OptionalString(root, "aad"),
                enc,
                recipients,
                Base64Url.Decode(RequiredString(root, "iv"), "iv"),
                Base64Url.Decode(RequiredString(root, "ciphertext"), "ciphertext"),
                Base64Url.Decode(RequiredString(root, "tag"), "tag"));
        }
    }

    private static JweRecipient Recipient(Dictionary<string, JsonElement> shared, JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("a JWE recipient is not a JSON object");
        }

        var merged = new Dictionary<string, JsonElement>(shared, StringComparer.Ordinal);
        if (entry.TryGetProperty("header", out var header))
        {
            Merge(merged, header, "recipient header");
        }

        var alg = merged.TryGetValue("alg", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : throw new FormatException("a JWE recipient has no key management algorithm (alg)");
        var encryptedKey = OptionalString(entry, "encrypted_key") is { } k ? Base64Url.Decode(k, "encrypted_key") : [];
        return new JweRecipient(alg, encryptedKey, merged);
    }

    private static void Merge(Dictionary<string, JsonElement> into, JsonElement header, string where)
    {
        if (header.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"the JWE's {where} header is not a JSON object");
        }

        foreach (var property in header.EnumerateObject())
        {
            // RFC 7516 §7.2.1: the header parameter names of the three headers must be disjoint.
            if (!into.TryAdd(property.Name, property.Value.Clone()))
            {
                throw new FormatException($"the JWE header parameter '{property.Name}' appears in more than one header");
            }
        }
    }

    private static string RequiredString(JsonElement root, string name)
        => OptionalString(root, name) ?? throw new FormatException($"the JWE has no '{name}'");

    private static string? OptionalString(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw new FormatException($"the JWE's '{name}' is not a string");
    }
}
