namespace GuestPull.Install.Kubernetes;

/// <summary>
/// <c>guestpull install --from-env</c>: the ConfigMap keys of nydus-snapshotter's DaemonSet
/// (<c>FS_DRIVER</c>, <c>ENABLE_CONFIG_FROM_VOLUME</c>, <c>ENABLE_RUNTIME_SPECIFIC_SNAPSHOTTER</c>,
/// <c>ENABLE_SYSTEMD_SERVICE</c>; <c>deploy/kubernetes/configmap.yaml</c>), read from the environment
/// (<c>envFrom: configMapRef</c>), on top of the command line's options.
/// </summary>
public static class EnvironmentSettings
{
    /// <summary>Where the DaemonSet mounts a ConfigMap holding a full snapshotter config.toml (ENABLE_CONFIG_FROM_VOLUME).</summary>
    public const string ConfigVolumeFile = "/etc/guestpull-config/config.toml";

    /// <summary>
    /// Applies FS_DRIVER, ENABLE_CONFIG_FROM_VOLUME, ENABLE_RUNTIME_SPECIFIC_SNAPSHOTTER, ENABLE_SYSTEMD_SERVICE,
    /// GuestPull's ENABLE_NODE_CACHE (<c>--cache</c>) and NODE_CACHE (<c>--node-cache</c>), and NODE_NAME.
    /// </summary>
    /// <exception cref="InstallException">A key holds a value GuestPull does not understand.</exception>
    public static InstallOptions Apply(InstallOptions options, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        var result = options;
        if (environment("FS_DRIVER") is { Length: > 0 } driver)
        {
            result = result with
            {
                FsDriver = driver switch
                {
                    "proxy" or "overlayfs" => driver,
                    _ => throw new InstallException($"FS_DRIVER='{driver}': GuestPull's snapshotter drives 'proxy' (guest pull) or 'overlayfs'"),
                },
            };
        }
        if (Flag(environment, "ENABLE_CONFIG_FROM_VOLUME") == true)
        {
            result = result with { SnapshotterConfigSource = ConfigVolumeFile };
        }
        if (Flag(environment, "ENABLE_RUNTIME_SPECIFIC_SNAPSHOTTER") is { } runtimeSpecific)
        {
            result = result with { RuntimeSpecific = runtimeSpecific };
        }
        if (Flag(environment, "ENABLE_SYSTEMD_SERVICE") is { } systemd)
        {
            result = result with { ServiceMode = systemd ? ServiceMode.Systemd : ServiceMode.Standalone };
            // The snapshotter runs in the pod, but the node's containerd is still systemd's to restart.
            if (!systemd && Directory.Exists("/run/systemd/system"))
            {
                result = result with { ContainerdRestartCommand = result.ContainerdRestartCommand ?? "systemctl restart containerd" };
            }
        }
        if (Flag(environment, "ENABLE_NODE_CACHE") is { } cache)
        {
            result = result with { Cache = cache };
        }
        if (environment("NODE_CACHE") is { Length: > 0 } nodeCache)
        {
            result = result with { NodeCache = nodeCache.Trim() };
        }
        if (environment("NODE_NAME") is { Length: > 0 } node)
        {
            result = result with { NodeName = node };
        }
        return result;
    }

    private static bool? Flag(Func<string, string?> environment, string key) => environment(key)?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        var other => throw new InstallException($"{key}='{other}': expected true or false"),
    };
}
