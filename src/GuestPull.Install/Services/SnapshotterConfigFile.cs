using System.Text;
using GuestPull.Install.Toml;

namespace GuestPull.Install.Services;

/// <summary>The snapshotter's <c>config.toml</c>, in nydus-snapshotter's keys so either binary reads it.</summary>
internal static class SnapshotterConfigFile
{
    public static string Render(InstallOptions options)
    {
        var toml = new StringBuilder();
        toml.Append("# Written by guestpull install (nydus-snapshotter's config-proxy.toml keys).\n");
        toml.Append("version = 1\n");
        toml.Append("root = ").Append(TomlDocumentEditor.Quote(options.SnapshotterRoot)).Append('\n');
        toml.Append("address = ").Append(TomlDocumentEditor.Quote(options.SnapshotterAddress)).Append('\n');
        toml.Append("daemon_mode = \"none\"\n");
        toml.Append('\n');
        toml.Append("[daemon]\n");
        toml.Append("fs_driver = ").Append(TomlDocumentEditor.Quote(options.FsDriver)).Append('\n');
        toml.Append('\n');
        toml.Append("[snapshot]\n");
        toml.Append("enable_kata_volume = true\n");
        if (options.RuntimeSpecific)
        {
            // Only the guest-pull handlers use this snapshotter: what containerd unpacks into it on the host is
            // never a rootfs, so it is committed empty (GuestPull's own key; nydus-snapshotter ignores it).
            toml.Append("discard_host_layers = true\n");
        }
        toml.Append('\n');
        toml.Append("[log]\n");
        toml.Append("level = \"info\"\n");
        return toml.ToString();
    }
}
