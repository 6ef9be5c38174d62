using GuestPull.Api.Agent;
using GuestPull.Ttrpc;

namespace GuestPull.Shim.Sandbox;

/// <summary>What a sandbox does with its containers before it is stopped.</summary>
internal static class GuestContainers
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Removes every container through the agent (runc deletes their state and cgroups), within 30 s;
    /// a failure is reported to <paramref name="failed"/> and the sandbox is stopped anyway.
    /// </summary>
    public static async Task RemoveAllAsync(AgentClient agent, CancellationToken cancellationToken, Action<string> failed)
    {
        try
        {
            using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            grace.CancelAfter(Grace);
            var list = await agent.ListContainersAsync(grace.Token).ConfigureAwait(false);
            foreach (var container in list.Containers)
            {
                await agent.RemoveContainerAsync(container.ContainerId, grace.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is TtrpcException or OperationCanceledException)
        {
            failed(ex.Message);
        }
    }
}
