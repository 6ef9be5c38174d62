using GuestPull.Install.Services;

namespace GuestPull.Install.Containerd;

/// <summary>Restarts containerd the way the install mode says, then waits until it answers on its socket.</summary>
internal static class ContainerdRestarter
{
    /// <summary>Whether a restart will happen at all.</summary>
    public static bool WillRestart(InstallOptions options) =>
        !options.SkipContainerdRestart && (options.EffectiveServiceMode == ServiceMode.Systemd || options.ContainerdRestartCommand is not null);

    public static async Task RestartAsync(InstallOptions options, CancellationToken cancellationToken)
    {
        if (options.SkipContainerdRestart)
        {
            return;
        }
        if (options.ContainerdRestartCommand is { } command)
        {
            var result = await HostCommand.RunAsync("/bin/sh", ["-c", command], options.ReadyTimeout, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                throw new InstallException($"the containerd restart command failed ({command}): {result.Describe()}");
            }
        }
        else if (options.EffectiveServiceMode == ServiceMode.Systemd)
        {
            await SystemdService.RunAsync(cancellationToken, "restart", "containerd").ConfigureAwait(false);
        }
        else
        {
            return;
        }
        await WaitUntilAnsweringAsync(options, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<ContainerdVersion> WaitUntilAnsweringAsync(InstallOptions options, CancellationToken cancellationToken)
    {
        using var client = new ContainerdClient(options.ContainerdAddress);
        var deadline = DateTime.UtcNow + options.ReadyTimeout;
        while (true)
        {
            try
            {
                return await client.GetVersionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (InstallException ex) when (DateTime.UtcNow < deadline)
            {
                _ = ex;
                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
            catch (InstallException ex)
            {
                throw new InstallException(
                    $"containerd did not answer on {options.ContainerdAddress} within {options.ReadyTimeout.TotalSeconds:0} s after the restart " +
                    $"({ex.Message}); check its log (journalctl -u containerd) for a config error", ex);
            }
        }
    }
}
