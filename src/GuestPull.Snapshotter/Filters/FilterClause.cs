using System.Text.RegularExpressions;
using GuestPull.Snapshotter.Storage;

namespace GuestPull.Snapshotter.Filters;

/// <summary>One `field op value` test; <see cref="LabelKey"/> is set when the field is `labels.&lt;key&gt;`.</summary>
internal sealed record FilterClause(string Field, string? LabelKey, FilterOperator Operator, string Value, Regex? Pattern)
{
    // containerd's snapshot filter adaptor: name, parent and kind are always present (a base
    // snapshot's parent is ""), a label is present when the key exists; == needs presence, != and
    // ~= compare whatever value there is ("" when absent).
    public bool Matches(SnapshotRecord record)
    {
        var (actual, present) = Field switch
        {
            "name" => (record.Key, true),
            "parent" => (record.Parent ?? string.Empty, true),
            "kind" => (KindName(record.Kind), true),
            "labels" when LabelKey is not null => record.Labels.TryGetValue(LabelKey, out var value) ? (value, true) : (string.Empty, false),
            _ => (string.Empty, false),
        };
        return Operator switch
        {
            FilterOperator.Present => present,
            FilterOperator.Equal => present && string.Equals(actual, Value, StringComparison.Ordinal),
            FilterOperator.NotEqual => !string.Equals(actual, Value, StringComparison.Ordinal),
            FilterOperator.Matches => Pattern!.IsMatch(actual),
            _ => false,
        };
    }

    /// <summary>How containerd spells a kind in filters and logs.</summary>
    public static string KindName(SnapshotKind kind) => kind switch
    {
        SnapshotKind.View => "view",
        SnapshotKind.Active => "active",
        SnapshotKind.Committed => "committed",
        _ => "unknown",
    };
}
