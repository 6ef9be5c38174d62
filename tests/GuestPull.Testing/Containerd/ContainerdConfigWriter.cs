using System.Globalization;
using System.Text;

namespace GuestPull.Testing.Containerd;

/// Renders the version 2 config of a private containerd: every path it writes to lives under one directory.
internal static class ContainerdConfigWriter
{
    private const string CriPlugin = "io.containerd.grpc.v1.cri";

    public static string Render(ContainerdLayout layout, ContainerdOptions options)
    {
        var toml = new StringBuilder();
        toml.AppendLine("version = 2");
        toml.AppendLine(CultureInfo.InvariantCulture, $"root = {Quote(layout.RootDirectory)}");
        toml.AppendLine(CultureInfo.InvariantCulture, $"state = {Quote(layout.StateDirectory)}");
        if (!options.EnableCri)
        {
            toml.AppendLine(CultureInfo.InvariantCulture, $"disabled_plugins = [{Quote(CriPlugin)}]");
        }

        toml.AppendLine();
        toml.AppendLine("[grpc]");
        toml.AppendLine(CultureInfo.InvariantCulture, $"  address = {Quote(layout.GrpcAddress)}");
        toml.AppendLine();
        toml.AppendLine("[ttrpc]");
        toml.AppendLine(CultureInfo.InvariantCulture, $"  address = {Quote(layout.TtrpcAddress)}");
        toml.AppendLine();
        // Empty addresses keep the instance off the host's default debug socket and off any TCP port.
        toml.AppendLine("[debug]");
        toml.AppendLine("  address = \"\"");
        toml.AppendLine(CultureInfo.InvariantCulture, $"  level = {Quote(options.LogLevel)}");
        toml.AppendLine();
        toml.AppendLine("[metrics]");
        toml.AppendLine("  address = \"\"");
        toml.AppendLine();
        toml.AppendLine("[plugins.\"io.containerd.internal.v1.opt\"]");
        toml.AppendLine(CultureInfo.InvariantCulture, $"  path = {Quote(layout.OptDirectory)}");

        if (options.EnableCri)
        {
            toml.AppendLine();
            toml.AppendLine(CultureInfo.InvariantCulture, $"[plugins.{Quote(CriPlugin)}]");
            if (options.SandboxImage is not null)
            {
                toml.AppendLine(CultureInfo.InvariantCulture, $"  sandbox_image = {Quote(options.SandboxImage)}");
            }

            // Root here lacks CAP_SYS_RESOURCE; without this runc fails to lower oom_score_adj for pods.
            toml.AppendLine("  restrict_oom_score_adj = true");
            foreach (var (key, value) in options.CriSettings ?? new Dictionary<string, string>())
            {
                toml.AppendLine(CultureInfo.InvariantCulture, $"  {key} = {value}");
            }

            toml.AppendLine();
            toml.AppendLine(CultureInfo.InvariantCulture, $"[plugins.{Quote(CriPlugin)}.cni]");
            toml.AppendLine(CultureInfo.InvariantCulture, $"  bin_dir = {Quote(layout.CniBinDirectory)}");
            toml.AppendLine(CultureInfo.InvariantCulture, $"  conf_dir = {Quote(layout.CniConfDirectory)}");
        }

        if (!string.IsNullOrWhiteSpace(options.ExtraConfig))
        {
            toml.AppendLine();
            toml.AppendLine(options.ExtraConfig);
        }

        return toml.ToString();
    }

    /// A TOML basic string.
    public static string Quote(string value)
    {
        var quoted = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    quoted.Append("\\\"");
                    break;
                case '\\':
                    quoted.Append("\\\\");
                    break;
                case < ' ' or '\u007f':
                    quoted.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
                    break;
                default:
                    quoted.Append(c);
                    break;
            }
        }

        return quoted.Append('"').ToString();
    }
}
