namespace GuestPull.Shim;

/// <summary>What a shim invocation is asked to do.</summary>
public enum ShimAction
{
    /// <summary>containerd's <c>start</c>: print the address of the pod's shim, launching it when needed.</summary>
    Start,

    /// <summary>containerd's <c>delete</c>: clean up after a dead shim and print a DeleteResponse.</summary>
    Delete,

    /// <summary>GuestPull's own: the detached daemon that serves <c>containerd.task.v2.Task</c>.</summary>
    Serve,
}
