using GuestPull.Images.Pull;
using GuestPull.Images.Signatures;
using GuestPull.Images.Store;
using GuestPull.Oci.Registry;
using Microsoft.Extensions.Logging;

namespace GuestPull.Agent.Storage;

/// <summary>The image service over a registry client and policy its caller built (the confidential-data-hub's settings are not the agent's).</summary>
internal sealed partial class GuestImageService
{
    /// <summary>Takes ownership of <paramref name="registry"/>, <paramref name="policy"/> and <paramref name="decryption"/>: all are disposed with the service.</summary>
    public GuestImageService(RegistryClient registry, LayerStore store, PolicyEvaluator? policy, LayerDecryption decryption, int maxConcurrentLayers, TimeSpan timeout, ILoggerFactory logging)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(decryption);
        ArgumentNullException.ThrowIfNull(logging);
        _registry = registry;
        _store = store;
        _policy = policy;
        _decryption = decryption;
        _puller = new ImagePuller(
            registry,
            store,
            new ImagePullOptions { MaxConcurrentLayers = maxConcurrentLayers, Policy = policy, Decryption = decryption.Unwrapper },
            logging.CreateLogger<ImagePuller>());
        _timeout = timeout;
        _logger = logging.CreateLogger("GuestPull.Agent.Images");
    }
}
