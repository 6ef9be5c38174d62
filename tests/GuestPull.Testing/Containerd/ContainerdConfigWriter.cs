using System.Globalization;
using System.Text;

namespace GuestPull.Testing.Containerd;

/// Renders the config of a private containerd, every path it writes to under one directory: version 2
/// for containerd 1.x, version 3 for 2.x (whose CRI settings live in the split images and runtime tables).
internal static class ContainerdConfigWriter
{
    private const string CriPlugin = "io.containerd.grpc.v1.cri";
    private const string CriImages = "io.containerd.cri.v1.images";
    private const string CriRuntime = "io.containerd.cri.v1.runtime";

    public static string Render(ContainerdLayout layout, ContainerdOptions options)
    {
        var version = options.Release.ConfigVersion;
        var toml = new StringBuilder();
        toml.AppendLine(CultureInfo.InvariantCulture, $"version = {version}");
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

        if (version >= 3)
        {
            // 2.x turns NRI on by default, on the host's /var/run/nri/nri.sock: keep this instance off it.
            toml.AppendLine();
            toml.AppendLine("[plugins.\"io.containerd.nri.v1.nri\"]");
            toml.AppendLine("  disable = true");
        }

        if (options.EnableCri)
        {
            if (version >= 3)
            {
                RenderCriVersion3(toml, layout, options);
            }
            else
            {
                RenderCriVersion2(toml, layout, options);
            }
        }

        if (!string.IsNullOrWhiteSpace(options.ExtraConfig))
        {
            toml.AppendLine();
            toml.AppendLine(options.ExtraConfig);
        }

        return toml.ToString();
    }

    /// The `hosts.toml` of a plain-HTTP registry, for <see cref="ContainerdLayout.RegistryHostsDirectory"/>.
    public static string RenderHostsToml(string host) => $"""
        server = {Quote("http://" + host)}

        [host.{Quote("http://" + host)}]
          capabilities = ["pull", "resolve"]

        """;

    private static void RenderCriVersion2(StringBuilder toml, ContainerdLayout layout, ContainerdOptions options)
    {
        toml.AppendLine();
        toml.AppendLine(CultureInfo.InvariantCulture, $"[plugins.{Quote(CriPlugin)}]");
        if (options.SandboxImage is not null)
        {
            toml.AppendLine(CultureInfo.InvariantCulture, $"  sandbox_image = {Quote(options.SandboxImage)}");
        }

        // Root here lacks CAP_SYS_RESOURCE; without this runc fails to lower oom_score_adj for pods.
        toml.AppendLine("  restrict_oom_score_adj = true");
        AppendCriSettings(toml, options);

        toml.AppendLine();
        toml.AppendLine(CultureInfo.InvariantCulture, $"[plugins.{Quote(CriPlugin)}.cni]");
        toml.AppendLine(CultureInfo.InvariantCulture, $"  bin_dir = {Quote(layout.CniBinDirectory)}");
        toml.AppendLine(CultureInfo.InvariantCulture, $"  conf_dir = {Quote(layout.CniConfDirectory)}");

        foreach (var host in options.PlainHttpRegistries)
        {
            toml.AppendLine();
            toml.AppendLine(CultureInfo.InvariantCulture, $"[plugins.{Quote(CriPlugin)}.registry.mirrors.{Quote(host)}]");
            toml.AppendLine(CultureInfo.InvariantCulture, $"  endpoint = [{Quote("http://" + host)}]");
        }
    }

    private static void RenderCriVersion3(StringBuilder toml, ContainerdLayout layout, ContainerdOptions options)
    {
        // 2.x keeps the server settings (streaming, TCP) in the old plugin's table.
        if (options.CriSettings is { Count: > 0 })
        {
            toml.AppendLine();
            toml.AppendLine(CultureInfo.InvariantCulture, $"[plugins.{Quote(CriPlugin)}]");
            AppendCriSettings(toml, options);
        }

        toml.AppendLine();
        toml.AppendLine(CultureInfo.InvariantCulture, $"[plugins.{Quote(CriImages)}]");
        if (options.SandboxImage is not null)
        {
            toml.AppendLine();
            toml.AppendLine(CultureInfo.InvariantCulture, $"[plugins.{Quote(CriImages)}.pinned_images]");
            toml.AppendLine(CultureInfo.InvariantCulture, $"  sandbox = {Quote(options.SandboxImage)}");
        }

        // 2.x has no registry.mirrors: plain HTTP is a hosts.toml per registry under config_path.
        toml.AppendLine();
        toml.AppendLine(CultureInfo.InvariantCulture, $"[plugins.{Quote(CriImages)}.registry]");
        toml.AppendLine(CultureInfo.InvariantCulture, $"  config_path = {Quote(layout.RegistryHostsDirectory)}");

        toml.AppendLine();
        toml.AppendLine(CultureInfo.InvariantCulture, $"[plugins.{Quote(CriRuntime)}]");
        toml.AppendLine("  restrict_oom_score_adj = true");

        toml.AppendLine();
        toml.AppendLine(CultureInfo.InvariantCulture, $"[plugins.{Quote(CriRuntime)}.cni]");
        toml.AppendLine(CultureInfo.InvariantCulture, $"  bin_dirs = [{Quote(layout.CniBinDirectory)}]");
        toml.AppendLine(CultureInfo.InvariantCulture, $"  conf_dir = {Quote(layout.CniConfDirectory)}");
    }

    private static void AppendCriSettings(StringBuilder toml, ContainerdOptions options)
    {
        foreach (var (key, value) in options.CriSettings ?? new Dictionary<string, string>())
        {
            toml.AppendLine(CultureInfo.InvariantCulture, $"  {key} = {value}");
        }
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
