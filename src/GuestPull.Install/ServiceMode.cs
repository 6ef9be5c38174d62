namespace GuestPull.Install;

/// <summary>How the snapshotter runs on the host.</summary>
public enum ServiceMode
{
    /// <summary>systemd when it is PID 1's service manager (<c>/run/systemd/system</c> exists), else standalone.</summary>
    Auto,

    /// <summary>A systemd unit (<c>Type=notify</c>, <c>Before=containerd.service</c>); containerd restarts with systemctl.</summary>
    Systemd,

    /// <summary>A detached <c>guestpull snapshotter</c> process with a pid file under the state directory.</summary>
    Standalone,
}
