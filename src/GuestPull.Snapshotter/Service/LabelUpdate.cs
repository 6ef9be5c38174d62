using GuestPull.Snapshotter.Storage;

namespace GuestPull.Snapshotter.Service;

/// <summary>Applies an Update request's field mask to a snapshot's labels.</summary>
internal static class LabelUpdate
{
    public static IReadOnlyDictionary<string, string> Apply(
        SnapshotRecord record, IReadOnlyDictionary<string, string> labels, IReadOnlyList<string> paths)
    {
        if (paths.Count == 0)
        {
            return LabelRules.Normalize(labels);
        }
        var result = new Dictionary<string, string>(record.Labels, StringComparer.Ordinal);
        foreach (var path in paths)
        {
            if (path == "labels")
            {
                result = LabelRules.Normalize(labels);
            }
            else if (path.StartsWith("labels.", StringComparison.Ordinal) && path.Length > "labels.".Length)
            {
                var key = path["labels.".Length..];
                var value = labels.GetValueOrDefault(key) ?? string.Empty;
                LabelRules.Validate(key, value);
                if (value.Length == 0)
                {
                    result.Remove(key);
                }
                else
                {
                    result[key] = value;
                }
            }
            else
            {
                throw SnapshotException.InvalidArgument($"cannot update \"{path}\" field on snapshot {record.Key}: only labels can be updated");
            }
        }
        return result;
    }
}
