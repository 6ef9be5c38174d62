namespace GuestPull.Shim.Sandbox;

/// <summary>Starts sandboxes of one kind (Linux namespaces today; a VM later).</summary>
internal interface ISandboxBackend
{
    Task<ISandbox> StartAsync(SandboxRequest request, CancellationToken cancellationToken);
}
