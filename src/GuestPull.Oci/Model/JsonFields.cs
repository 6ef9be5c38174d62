using System.Text.Json;

namespace GuestPull.Oci.Model;

/// <summary>Typed field access on JSON documents with errors that name the document and the field.</summary>
internal static class JsonFields
{
    public static string RequiredString(JsonElement obj, string name, string where) =>
        OptionalString(obj, name, where) ?? throw new OciFormatException($"{where}: missing \"{name}\"");

    public static string? OptionalString(JsonElement obj, string name, string where)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new OciFormatException($"{where}: \"{name}\" must be a string");
    }

    public static IEnumerable<JsonElement> RequiredArray(JsonElement obj, string name, string where)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw new OciFormatException($"{where}: missing \"{name}\"");
        }

        return value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray()
            : throw new OciFormatException($"{where}: \"{name}\" must be an array");
    }

    public static IReadOnlyList<string> StringList(JsonElement obj, string name, string where)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new OciFormatException($"{where}: \"{name}\" must be an array of strings");
        }

        var list = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            list.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw new OciFormatException($"{where}: \"{name}\" must be an array of strings"));
        }

        return list;
    }

    /// <summary>Null when the field is absent (distinguishes "no Cmd" from "empty Cmd").</summary>
    public static IReadOnlyList<string>? OptionalStringList(JsonElement obj, string name, string where) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? StringList(obj, name, where) : null;

    public static IReadOnlyDictionary<string, string> StringMap(JsonElement obj, string name, string where)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return map;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new OciFormatException($"{where}: \"{name}\" must be an object of strings");
        }

        foreach (var property in value.EnumerateObject())
        {
            map[property.Name] = property.Value.ValueKind == JsonValueKind.String
                ? property.Value.GetString()!
                : throw new OciFormatException($"{where}: \"{name}.{property.Name}\" must be a string");
        }

        return map;
    }

    /// <summary>The keys of an object used as a set (<c>ExposedPorts</c>, <c>Volumes</c>).</summary>
    public static IReadOnlyList<string> KeySet(JsonElement obj, string name, string where)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        return value.ValueKind == JsonValueKind.Object
            ? value.EnumerateObject().Select(p => p.Name).ToList()
            : throw new OciFormatException($"{where}: \"{name}\" must be an object");
    }
}
