using System.Text;

namespace GuestPull.Install.Services;

/// <summary>
/// The node cache's systemd unit (<c>guestpull cache</c>, docs/cache.md). <c>Type=notify</c>: the cache
/// sends READY=1 once it listens, so a restart is over when systemctl returns.
/// </summary>
internal static class CacheUnit
{
    /// <summary>The unit's file name.</summary>
    public const string Name = "guestpull-cache.service";

    /// <summary>The unit text for a <c>guestpull</c> binary and the cache's address, root and size limit.</summary>
    public static string Render(string guestpullBinary, string listen, string root, string maxSize)
    {
        ArgumentException.ThrowIfNullOrEmpty(guestpullBinary);
        ArgumentException.ThrowIfNullOrEmpty(listen);
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentException.ThrowIfNullOrEmpty(maxSize);
        var unit = new StringBuilder();
        unit.Append("# Written by guestpull install --cache; guestpull uninstall removes it.\n");
        unit.Append("# The node-local verified blob cache: guests use it as a digest-only mirror (docs/cache.md).\n");
        unit.Append("[Unit]\n");
        unit.Append("Description=GuestPull node cache (verified pull-through blob cache, a digest-only registry mirror)\n");
        unit.Append("Documentation=https://github.com/guestpull/guestpull/blob/main/docs/cache.md\n");
        unit.Append("After=network-online.target local-fs.target\n");
        unit.Append("Wants=network-online.target\n");
        unit.Append('\n');
        unit.Append("[Service]\n");
        unit.Append("Type=notify\n");
        unit.Append("ExecStart=").Append(SystemdUnit.Escape(guestpullBinary))
            .Append(" cache --listen ").Append(SystemdUnit.Escape(listen))
            .Append(" --root ").Append(SystemdUnit.Escape(root))
            .Append(" --max-size ").Append(SystemdUnit.Escape(maxSize)).Append('\n');
        unit.Append("Restart=always\n");
        unit.Append("RestartSec=1\n");
        unit.Append("LimitNOFILE=1048576\n");
        unit.Append('\n');
        unit.Append("[Install]\n");
        unit.Append("WantedBy=multi-user.target\n");
        return unit.ToString();
    }
}
