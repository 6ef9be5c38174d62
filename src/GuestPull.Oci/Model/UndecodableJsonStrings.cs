using System.Text.Json;
using System.Text.Unicode;

namespace GuestPull.Oci.Model;

/// <summary>
/// Finds a JSON string (key or value) that has no UTF-16 form: raw bytes that are not UTF-8, or a
/// <c>\u</c> escape of an unpaired surrogate. System.Text.Json's document parser accepts both and only
/// fails when the string is read, with an InvalidOperationException from wherever that happens, so
/// strict parsers check every string once, up front, and refuse the document with their own error.
/// </summary>
public static class UndecodableJsonStrings
{
    /// <summary>Looks for the first string with no UTF-16 form.</summary>
    /// <param name="json">A document <see cref="JsonDocument"/> has already parsed (so it is well-formed).</param>
    /// <returns>Null when every string decodes; else a description naming the byte offset, for an error message.</returns>
    public static string? FindFirst(ReadOnlySpan<byte> json)
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
                return $"the {(reader.TokenType == JsonTokenType.PropertyName ? "key" : "string")} at byte {reader.TokenStartIndex} is not valid UTF-8 (or escapes an unpaired surrogate)";
            }
        }

        return null;
    }

    /// <summary>Throws <see cref="OciFormatException"/> for the first string with no UTF-16 form.</summary>
    /// <param name="json">A well-formed document.</param>
    /// <param name="document">Names the document in the message, e.g. <c>manifest</c>.</param>
    internal static void Refuse(ReadOnlySpan<byte> json, string document)
    {
        if (FindFirst(json) is { } problem)
        {
            throw new OciFormatException($"{document}: {problem}");
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
