namespace GuestPull.Install.Containerd;

/// <summary>The edited config text and the record an uninstall needs to undo it.</summary>
internal sealed record ContainerdConfigPatch(
    string Text,
    int Version,
    IReadOnlyList<ConfigChange> Changes,
    IReadOnlyList<string[]> CreatedTables,
    IReadOnlyList<string> SnapshotterHandlers)
{
    public bool Changed => Changes.Count > 0;
}
