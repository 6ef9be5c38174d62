namespace GuestPull.Shim.Tasks;

/// <summary>A shim process's life cycle, as containerd's task Status reports it.</summary>
internal enum ProcessStatus
{
    Created,
    Running,
    Stopped,
}
