using System.Diagnostics;
using System.Net.Sockets;
using GuestPull.Api.Agent;
using GuestPull.Ttrpc;

namespace GuestPull.Shim.Vm;

/// <summary>
/// Connects to the agent behind QEMU's virtio-serial chardev socket. The socket accepts as soon as QEMU
/// runs, long before the guest's agent opens its port, and bytes sent before then are lost: each attempt
/// gets a fresh connection and a short deadline for its Check, and closing it drops what it left queued.
/// </summary>
internal static class SerialAgentConnector
{
    // Long enough for the agent to answer a queued Check under TCG; short enough to retry soon when the
    // first bytes went to a port nobody had opened yet.
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Returns a client whose Check has been answered.</summary>
    /// <param name="socket">QEMU's chardev socket.</param>
    /// <param name="exitStatus">QEMU's exit status once it exited, else null: an exit ends the wait.</param>
    /// <param name="describe">What to say when QEMU exits or the time runs out (the console's last lines).</param>
    /// <param name="timeout">How long the guest may take to boot and serve.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public static async Task<AgentClient> ConnectAsync(string socket, Func<int?> exitStatus, Func<string> describe, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        Exception? lastError = null;
        while (waited.Elapsed < timeout)
        {
            if (exitStatus() is { } status)
            {
                throw new ShimException($"QEMU exited with status {status} before the guest's agent answered:\n{describe()}");
            }

            if (!File.Exists(socket))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
                continue;
            }

            AgentClient agent;
            try
            {
                agent = new AgentClient(await TtrpcClient.ConnectAsync(socket, cancellationToken: cancellationToken).ConfigureAwait(false));
            }
            catch (SocketException ex)
            {
                lastError = ex;
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
                continue;
            }

            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(AttemptTimeout);
            try
            {
                await agent.CheckAsync(attempt.Token).ConfigureAwait(false);
                return agent;
            }
            catch (Exception ex) when (ex is OperationCanceledException or TtrpcException or IOException && !cancellationToken.IsCancellationRequested)
            {
                lastError = ex;
                await agent.DisposeAsync().ConfigureAwait(false);
            }
        }

        throw new ShimException($"the guest's agent did not answer on {socket} within {timeout.TotalSeconds:0} s ({lastError?.Message ?? "no connection"}):\n{describe()}");
    }
}
