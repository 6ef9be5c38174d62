using GuestPull.Install.Services;
using Tomlyn;
using Tomlyn.Model;

namespace GuestPull.Install.Containerd;

/// <summary>What the installer and doctor read about the host's containerd: its config file and its version.</summary>
internal static class ContainerdHost
{
    public static ContainerdConfigRequest ConfigRequest(InstallOptions options) => new()
    {
        SnapshotterAddress = options.SnapshotterAddress,
        RuntimeSpecific = options.RuntimeSpecific,
        RuntimeHandlers = options.RuntimeHandlers,
    };

    public static async Task<(string Text, bool Exists)> ReadContainerdConfigAsync(InstallOptions options, CancellationToken cancellationToken)
    {
        if (File.Exists(options.ContainerdConfig))
        {
            return (await File.ReadAllTextAsync(options.ContainerdConfig, cancellationToken).ConfigureAwait(false), true);
        }
        // No file: containerd runs on its defaults, which are exactly what 'config default' prints.
        var result = await HostCommand.RunAsync("containerd", ["config", "default"], TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new InstallException($"{options.ContainerdConfig} does not exist and 'containerd config default' failed: {result.Describe()}");
        }
        return (result.Output, false);
    }

    public static async Task<ContainerdVersion> DetectContainerdVersionAsync(InstallOptions options, CancellationToken cancellationToken)
    {
        if (File.Exists(options.ContainerdAddress))
        {
            try
            {
                using var client = new ContainerdClient(options.ContainerdAddress);
                return await client.GetVersionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (InstallException)
            {
                // Not running: the binary tells the version it will run as.
            }
        }
        var result = await HostCommand.RunAsync("containerd", ["--version"], TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
        try
        {
            return ContainerdVersion.Parse(result.Output);
        }
        catch (FormatException ex)
        {
            throw new InstallException($"cannot tell containerd's version: {ex.Message}", ex);
        }
    }

    public static string? SandboxImage(string configText, string source)
    {
        var version = ContainerdConfigPatcher.ReadVersion(configText, source);
        var editor = ContainerdConfigPatcher.Open(configText, source);
        var text = version >= 3
            ? editor.GetValueText(["plugins", "io.containerd.cri.v1.images", "pinned_images"], "sandbox")
            : editor.GetValueText(["plugins", "io.containerd.grpc.v1.cri"], "sandbox_image");
        return text is null ? null : TomlSerializer.Deserialize<TomlTable>("v = " + text)!["v"] as string;
    }
}
