using System.Text.Json;

namespace GuestPull.Oci.Model;

/// <summary>
/// Refuses JSON documents in which an object names the same key twice. System.Text.Json keeps the
/// last value, other parsers the first: an image whose verifier and consumer read different
/// <c>layers</c> is a parser differential, so a duplicate anywhere in a manifest, index or config is
/// an error naming the key and where it is.
/// </summary>
internal static class DuplicateKeys
{
    /// <summary>Throws <see cref="OciFormatException"/> for the first duplicate key below <paramref name="root"/>.</summary>
    /// <param name="root">A parsed document (depth is already bounded by the parser).</param>
    /// <param name="document">Names the document in the message, e.g. <c>manifest</c>.</param>
    public static void Refuse(JsonElement root, string document) => Walk(root, "$", document);

    private static void Walk(JsonElement element, string path, string document)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    // Names are compared unescaped, so "layers" and "l\u0061yers" are the same key.
                    if (!seen.Add(property.Name))
                    {
                        throw new OciFormatException(
                            $"{document}: duplicate key \"{property.Name}\" in {(path == "$" ? "the top-level object" : path)}; refusing a document that parsers could read differently");
                    }

                    Walk(property.Value, path + "." + property.Name, document);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, path + "[" + index + "]", document);
                    index++;
                }

                break;
        }
    }
}
