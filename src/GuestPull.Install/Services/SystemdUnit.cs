using System.Text;

namespace GuestPull.Install.Services;

/// <summary>
/// The snapshotter's systemd unit. <c>Type=notify</c>: the snapshotter sends READY=1 once its socket
/// serves, so containerd (ordered after it) never starts against a missing proxy plugin.
/// </summary>
internal static class SystemdUnit
{
    /// <summary>The unit's file name.</summary>
    public const string Name = "guestpull-snapshotter.service";

    /// <summary>The unit text for a <c>guestpull</c> binary and its config file.</summary>
    public static string Render(string guestpullBinary, string configFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(guestpullBinary);
        ArgumentException.ThrowIfNullOrEmpty(configFile);
        var unit = new StringBuilder();
        unit.Append("# Written by guestpull install; guestpull uninstall removes it.\n");
        unit.Append("[Unit]\n");
        unit.Append("Description=GuestPull snapshotter (containerd proxy snapshotter for guest image pull)\n");
        unit.Append("Documentation=https://github.com/guestpull/guestpull/blob/main/docs/operations.md\n");
        unit.Append("After=network.target local-fs.target\n");
        unit.Append("Before=containerd.service\n");
        unit.Append('\n');
        unit.Append("[Service]\n");
        unit.Append("Type=notify\n");
        unit.Append("ExecStart=").Append(Escape(guestpullBinary)).Append(" snapshotter --config ").Append(Escape(configFile)).Append('\n');
        unit.Append("Restart=always\n");
        unit.Append("RestartSec=1\n");
        // containerd cannot mount or unpack without the snapshotter: keep it away from the OOM killer.
        unit.Append("OOMScoreAdjust=-999\n");
        unit.Append("LimitNOFILE=1048576\n");
        unit.Append('\n');
        unit.Append("[Install]\n");
        unit.Append("WantedBy=multi-user.target containerd.service\n");
        return unit.ToString();
    }

    /// <summary>An ExecStart word: systemd splits the line like a shell, so paths with spaces are quoted and the specifiers it expands doubled.</summary>
    public static string Escape(string path)
    {
        var escaped = path.Replace("%", "%%", StringComparison.Ordinal);
        return escaped.Contains(' ', StringComparison.Ordinal) ? "\"" + escaped.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"" : escaped;
    }
}
