using Microsoft.Extensions.Hosting.Systemd;

namespace GuestPull.Snapshotter.Hosting;

/// <summary>
/// Sends `READY=1` to `$NOTIFY_SOCKET`. The Systemd hosting package only does so when it detects
/// systemd as the parent process; a unit that starts us through a wrapper still expects it.
/// </summary>
internal static class SystemdReadiness
{
    /// <summary>Returns whether a notification was sent.</summary>
    public static bool NotifyReady()
    {
        if (SystemdHelpers.IsSystemdService())
        {
            // SystemdLifetime notifies on ApplicationStarted.
            return false;
        }
        var notifier = new SystemdNotifier();
        if (!notifier.IsEnabled)
        {
            return false;
        }
        notifier.Notify(ServiceState.Ready);
        return true;
    }
}
