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

    /// <summary>
    /// Refuses a runtime-specific install the containerd that reads <paramref name="configVersion"/> cannot
    /// honour. A version 3 file is trusted as is: only containerd 2.x reads that schema, so the containerd
    /// on PATH (possibly another one, as with <c>--config-only</c> on a file for another node) is not asked.
    /// A version 2 file is read by 1.6, 1.7 and 2.x alike, so the containerd it is for decides.
    /// </summary>
    public static async Task CheckRuntimeSpecificAsync(InstallOptions options, int configVersion, CancellationToken cancellationToken)
    {
        if (configVersion >= 3)
        {
            return;
        }
        var version = await DetectContainerdVersionAsync(options, cancellationToken).ConfigureAwait(false);
        if (!version.IsAtLeast(ContainerdVersion.RuntimeSpecificSnapshotter))
        {
            throw new InstallException(
                $"--runtime-specific needs containerd 1.7 or later (per-runtime 'snapshotter'); this containerd is {version}. " +
                "Leave the flag out: GuestPull then becomes the global snapshotter, and every image goes through it.");
        }
        if (version.IsAtLeast(ContainerdVersion.ConfigVersion3))
        {
            // containerd 2.x migrates a version 2 file when it loads it, but the migration does not carry
            // runtimes.NAME.snapshotter over to the images service's runtime_platforms: pulls would land in
            // the global snapshotter, on the host.
            throw new InstallException(
                $"containerd {version} reads {options.ContainerdConfig} (a version 2 config) through its automatic migration, " +
                "which drops the per-runtime snapshotter at image pull time. Convert the file first " +
                $"('containerd config migrate > new.toml', then move it over {options.ContainerdConfig}) and run the install again.");
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
