using System.Text;
using System.Text.Json;

namespace GuestPull.Snapshotter.Storage;

/// <summary>Labels are stored as one JSON object per row; written by hand so no reflection is needed.</summary>
internal static class LabelsCodec
{
    public static string Encode(IReadOnlyDictionary<string, string> labels)
    {
        if (labels.Count == 0)
        {
            return "{}";
        }
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in labels)
            {
                writer.WriteString(key, value);
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static Dictionary<string, string> Decode(string json)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        using var document = JsonDocument.Parse(json);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            labels[property.Name] = property.Value.GetString() ?? string.Empty;
        }
        return labels;
    }
}
