using GuestPull.Configuration;
using GuestPull.Install.Services;

namespace GuestPull.Install.Doctor;

/// <summary>
/// The node cache, when the shim's config points the agents at one (<c>[agent] node_cache</c>): does it
/// answer the distribution API there? A cache that is down costs every pull a failed attempt before
/// the registry, so it is a warning, not a failure: pulls still succeed.
/// </summary>
internal static class CacheChecks
{
    public static async Task<IReadOnlyList<DoctorFinding>> RunAsync(InstallOptions options, CancellationToken cancellationToken)
    {
        string? address = null;
        if (File.Exists(options.ShimConfigFile))
        {
            try
            {
                var file = await TomlConfigReader.ReadAsync(options.ShimConfigFile, cancellationToken).ConfigureAwait(false);
                if (file.ContainsKey("agent") && file.GetTable("agent") is var agent && agent.ContainsKey("node_cache"))
                {
                    address = agent.GetString("node_cache");
                }
            }
            catch (ConfigFileException)
            {
                // sandbox.config reports an unreadable file already.
                return [];
            }
        }
        if (address is null)
        {
            return [];
        }
        var problem = await CacheService.ProbeAsync(address, cancellationToken).ConfigureAwait(false);
        var how = options.EffectiveServiceMode == ServiceMode.Systemd
            ? $"systemctl status {CacheUnit.Name}; journalctl -u {CacheUnit.Name} (guestpull install --cache installs it), or remove node_cache from {options.ShimConfigFile}"
            : $"see {CacheService.LogFile(options)}; guestpull install --cache starts it, or remove node_cache from {options.ShimConfigFile}";
        return [problem is null
            ? new("cache.node", DoctorStatus.Pass, $"the node cache the agents use ([agent] node_cache) answers on http://{address}/v2/", string.Empty)
            : new("cache.node", DoctorStatus.Warn, $"the shim's agents use the node cache at {address}, which does not answer ({problem}): every pull tries it first, then the registry", how)];
    }
}
