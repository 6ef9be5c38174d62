namespace GuestPull.Snapshotter.Filters;

/// <summary>The operators of containerd's filter language.</summary>
internal enum FilterOperator
{
    /// <summary>The field is present (for labels: the key exists).</summary>
    Present,
    Equal,
    NotEqual,
    Matches,
}
