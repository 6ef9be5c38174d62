using GuestPull.Api.Agent;

namespace GuestPull.Shim.Sandbox;

/// <summary>
/// One pod's isolated guest running the GuestPull agent. The namespace backend stands in for a VM;
/// a VM backend implements the same contract (agent over vsock, shared directory over virtio-fs).
/// </summary>
internal interface ISandbox : IAsyncDisposable
{
    /// <summary>The pod (sandbox) id.</summary>
    string Id { get; }

    /// <summary>The agent in the guest.</summary>
    AgentClient Agent { get; }

    /// <summary>The host directory whose mounts the guest sees (Kata's shared/sandboxes/&lt;id&gt;).</summary>
    string SharedDirectory { get; }

    /// <summary>Completes when the guest dies.</summary>
    Task Exited { get; }

    /// <summary>The guest path at which the guest sees <paramref name="hostPath"/>, a path under <see cref="SharedDirectory"/>.</summary>
    string GuestPathOf(string hostPath);

    /// <summary>The host pid of a guest process, or 0 when it cannot be told (gone, or a VM guest).</summary>
    uint HostPidOf(uint guestPid);

    /// <summary>Rewrites a host namespace path such as <c>/proc/PID/ns/ipc</c> into the guest's terms.</summary>
    string TranslateNamespacePath(string hostPath);

    /// <summary>Removes what runs in the guest, stops it and removes every host trace of it.</summary>
    Task StopAsync(CancellationToken cancellationToken);
}
