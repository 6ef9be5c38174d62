using System.Text.Json;
using System.Text.Unicode;

namespace GuestPull.Oci.Model;

/// <summary>
/// Refuses JSON documents with a string (key or value) that has no UTF-16 form: raw bytes that are
/// not UTF-8, or a <c>\u</c> escape of an unpaired surrogate. System.Text.Json's document parser
/// accepts both and only fails when the string is read, with an InvalidOperationException from
/// wherever that happens; checking every string once up front turns them into one clear error.
/// </summary>
internal static class UndecodableStrings
{
    /// <summary>Throws <see cref="OciFormatException"/> for the first string with no UTF-16 form.</summary>
    /// <param name="json">A document <see cref="JsonDocument"/> has already parsed (so it is well-formed).</param>
    /// <param name="document">Names the document in the message, e.g. <c>manifest</c>.</param>
    public static void Refuse(ReadOnlySpan<byte> json, string document)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
            {
                continue;
            }

            // Unescaped text is checked in place; only escaped text needs decoding to find a bad surrogate.
            var valid = reader.ValueIsEscaped ? CanDecode(ref reader) : Utf8.IsValid(reader.ValueSpan);
            if (!valid)
            {
                throw new OciFormatException(
                    $"{document}: the {(reader.TokenType == JsonTokenType.PropertyName ? "key" : "string")} at byte {reader.TokenStartIndex} is not valid UTF-8 (or escapes an unpaired surrogate)");
            }
        }
    }

    private static bool CanDecode(ref Utf8JsonReader reader)
    {
        try
        {
            _ = reader.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
