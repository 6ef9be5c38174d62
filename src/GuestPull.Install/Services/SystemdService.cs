namespace GuestPull.Install.Services;

/// <summary>systemctl calls for the snapshotter unit and containerd.</summary>
internal static class SystemdService
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    public static async Task RunAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var result = await HostCommand.RunAsync("systemctl", arguments, CommandTimeout, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new InstallException($"systemctl {string.Join(' ', arguments)} failed: {result.Describe()}");
        }
    }

    /// <summary><c>systemd-analyze verify</c> on a unit file; null when it passes (or the tool is missing), else its complaint.</summary>
    public static async Task<string?> VerifyAsync(string unitFile, CancellationToken cancellationToken)
    {
        HostCommand.Result result;
        try
        {
            result = await HostCommand.RunAsync("systemd-analyze", ["verify", unitFile], CommandTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (InstallException)
        {
            return null;
        }
        return result.Succeeded ? null : result.Describe();
    }
}
