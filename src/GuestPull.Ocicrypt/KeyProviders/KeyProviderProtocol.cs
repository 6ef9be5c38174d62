using System.Text;
using System.Text.Json;

namespace GuestPull.Ocicrypt.KeyProviders;

/// <summary>
/// The keyprovider protocol's JSON documents for unwrapping: the request
/// <c>{"op":"keyunwrap","keyunwrapparams":{"dc":{"Parameters":{}},"annotation":BASE64}}</c> and the reply
/// <c>{"keyunwrapresults":{"optsdata":BASE64}}</c>. Byte fields are standard base64, as Go's JSON writes them.
/// </summary>
public static class KeyProviderProtocol
{
    /// <summary>The request asking a provider to unwrap <paramref name="annotation"/>.</summary>
    /// <param name="annotation">One wrapped key, as decoded from the layer's provider annotation.</param>
    public static byte[] UnwrapRequest(ReadOnlySpan<byte> annotation)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("op", "keyunwrap");
            writer.WriteStartObject("keyunwrapparams");
            writer.WriteStartObject("dc");
            writer.WriteStartObject("Parameters");
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteBase64String("annotation", annotation);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The private options a provider's reply carries; throws <see cref="FormatException"/> for a malformed or empty reply.</summary>
    /// <param name="reply">The provider's JSON output.</param>
    public static byte[] ParseUnwrapReply(ReadOnlySpan<byte> reply)
    {
        try
        {
            using var document = JsonDocument.Parse(reply.ToArray());
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("keyunwrapresults", out var results)
                && results.ValueKind == JsonValueKind.Object
                && results.TryGetProperty("optsdata", out var opts)
                && opts.ValueKind == JsonValueKind.String)
            {
                var data = opts.GetBytesFromBase64();
                if (data.Length > 0)
                {
                    return data;
                }
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new FormatException($"the reply is not keyprovider protocol JSON: {e.Message}", e);
        }

        throw new FormatException($"the reply carries no keyunwrapresults.optsdata: {Truncate(reply)}");
    }

    private static string Truncate(ReadOnlySpan<byte> reply)
    {
        var text = Encoding.UTF8.GetString(reply[..Math.Min(reply.Length, 200)]);
        return reply.Length > 200 ? text + "…" : text;
    }
}
