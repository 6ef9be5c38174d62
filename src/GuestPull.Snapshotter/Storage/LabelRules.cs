using System.Text;

namespace GuestPull.Snapshotter.Storage;

/// <summary>containerd's label rules: key and value together at most 4096 bytes; an empty value means "no label".</summary>
internal static class LabelRules
{
    public const int MaxLabelBytes = 4096;

    public static Dictionary<string, string> Normalize(IEnumerable<KeyValuePair<string, string>>? labels)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (labels is null)
        {
            return result;
        }
        foreach (var (key, value) in labels)
        {
            Validate(key, value);
            if (value.Length > 0)
            {
                result[key] = value;
            }
        }
        return result;
    }

    public static void Validate(string key, string value)
    {
        if (key.Length == 0)
        {
            throw SnapshotException.InvalidArgument("label key must not be empty");
        }
        var size = Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value);
        if (size > MaxLabelBytes)
        {
            throw SnapshotException.InvalidArgument(
                $"label key and value length ({size} bytes) greater than maximum size ({MaxLabelBytes} bytes), key: {key}");
        }
    }
}
