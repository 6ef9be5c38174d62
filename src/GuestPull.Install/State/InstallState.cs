namespace GuestPull.Install.State;

/// <summary>What the installer did, in order: uninstall and rollback undo it in reverse.</summary>
internal sealed class InstallState
{
    public int Version { get; init; } = 1;

    public List<InstallStep> Steps { get; init; } = [];

    public InstallStep? Find(string kind) => Steps.LastOrDefault(step => step.Kind == kind);
}
