using GuestPull.Images.Pull;
using GuestPull.Images.Signatures;
using GuestPull.Images.Store;
using GuestPull.Oci.Registry;
using Microsoft.Extensions.Logging;

namespace GuestPull.Agent.Storage;

/// <summary>The image service over a registry client and policy its caller built (the confidential-data-hub's settings are not the agent's).</summary>
internal sealed partial class GuestImageService
{
    /// <summary>Takes ownership of <paramref name="registry"/> and <paramref name="policy"/>: both are disposed with the service.</summary>
    public GuestImageService(RegistryClient registry, LayerStore store, PolicyEvaluator? policy, int maxConcurrentLayers, TimeSpan timeout, ILoggerFactory logging)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(logging);
        _registry = registry;
        _store = store;
        _policy = policy;
        _puller = new ImagePuller(
            registry,
            store,
            new ImagePullOptions { MaxConcurrentLayers = maxConcurrentLayers, Policy = policy },
            logging.CreateLogger<ImagePuller>());
        _timeout = timeout;
        _logger = logging.CreateLogger("GuestPull.Agent.Images");
    }
}
