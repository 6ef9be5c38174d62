using System.Globalization;
using GuestPull.Agent.Configuration;
using GuestPull.Images.Pull;
using GuestPull.Images.Signatures;
using GuestPull.Images.Store;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using GuestPull.Oci.Registry.Auth;
using GuestPull.Oci.Registry.Configuration;
using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging;

namespace GuestPull.Agent.Storage;

/// <summary>
/// Pulls container images inside the guest into the layer store with <c>ImagePuller</c> (docs/architecture.md,
/// "The guest image service"), under the configured time limit, and turns pull failures into ttrpc
/// statuses that name the image. When a
/// signature policy is configured it is evaluated for every pull — also when the image and all its
/// layers are cached — against the image's own name, before the image is handed out.
/// </summary>
internal sealed partial class GuestImageService : IDisposable
{
    private readonly RegistryClient _registry;
    private readonly LayerStore _store;
    private readonly ImagePuller _puller;
    private readonly PolicyEvaluator? _policy;
    private readonly LayerDecryption _decryption;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;

    public GuestImageService(AgentSettings settings, LayerStore store, ILoggerFactory logging)
    {
        var registries = RegistriesConfiguration.Load(settings.RegistriesConf).WithInsecureRegistries(settings.InsecureRegistries);
        _registry = new RegistryClient(
            new RegistryClientOptions { Registries = registries, AuthFile = AuthFile.Load(settings.AuthFile), LoopbackGateway = settings.LoopbackGateway, NodeCache = settings.NodeCache },
            logging.CreateLogger<RegistryClient>());
        _store = store;
        _policy = CreatePolicy(settings, _registry, logging);
        try
        {
            _decryption = LayerDecryption.Load(settings, logging);
        }
        catch
        {
            _policy?.Dispose();
            _registry.Dispose();
            throw;
        }

        _puller = new ImagePuller(
            _registry,
            store,
            new ImagePullOptions { MaxConcurrentLayers = settings.PullConcurrency, MaxLayerSize = settings.MaxLayerSize, Policy = _policy, Decryption = _decryption.Unwrapper },
            logging.CreateLogger<ImagePuller>());
        _timeout = settings.PullTimeout;
        _logger = logging.CreateLogger("GuestPull.Agent.Images");
    }

    /// <summary>
    /// Makes the image available in the store. The registry is always asked for the manifest (a
    /// tag may have moved); when it is the one recorded for this reference and every layer is
    /// still in the store, nothing else is fetched — not even the config blob.
    /// </summary>
    public async Task<GuestImage> PullAsync(string imageName, CancellationToken cancellationToken)
    {
        ImageReference reference;
        try
        {
            reference = ImageReference.Parse(imageName);
        }
        catch (FormatException ex)
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, $"image name \"{imageName}\" is not a valid reference: {ex.Message}");
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(_timeout);
        LogPulling(_logger, reference.ToString());
        try
        {
            if (await TryCachedAsync(reference, limit.Token).ConfigureAwait(false) is { } cached)
            {
                LogCached(_logger, reference.ToString());
                return cached;
            }

            var pulled = await _puller.PullAsync(reference, platform: null, progress: null, limit.Token).ConfigureAwait(false);
            LogPulled(_logger, reference.ToString(), pulled.LayersDownloaded, pulled.LayersCached);
            return new GuestImage(pulled.Image.Config, pulled.LayerDirectories, FromCache: false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && limit.IsCancellationRequested)
        {
            throw new TtrpcException(
                TtrpcStatusCode.DeadlineExceeded,
                $"pulling image \"{imageName}\" did not finish within the pull timeout of {_timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not TtrpcException)
        {
            throw new TtrpcException(StatusOf(ex), $"pulling image \"{imageName}\" failed: {ex.Message}", details: null, innerException: ex);
        }
    }

    public void Dispose()
    {
        _policy?.Dispose();
        _decryption.Dispose();
        _registry.Dispose();
    }

    private static PolicyEvaluator? CreatePolicy(AgentSettings settings, RegistryClient registry, ILoggerFactory logging)
    {
        if (settings.Policy is null)
        {
            return null;
        }

        if (settings.RegistriesD is { } directory && !Directory.Exists(directory))
        {
            registry.Dispose();
            throw new AgentConfigurationException($"'registries_d': {directory} is not a directory");
        }

        try
        {
            var policy = SignaturePolicy.Load(settings.Policy);
            var registriesDirectory = RegistriesDirectory.Load(settings.RegistriesD ?? RegistriesDirectory.DefaultPath);
            return new PolicyEvaluator(policy, registriesDirectory, registry, logging.CreateLogger<PolicyEvaluator>());
        }
        catch (Exception ex) when (ex is PolicyFormatException or IOException or UnauthorizedAccessException)
        {
            registry.Dispose();
            throw new AgentConfigurationException($"'policy' / 'registries_d': {ex.Message}", ex);
        }
    }

    private async Task<GuestImage?> TryCachedAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        var record = await _store.GetImageAsync(reference.ToString(), cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return null;
        }

        var manifest = await _registry.GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
        if (manifest.Document.Digest != (record.IndexDigest ?? record.ManifestDigest))
        {
            return null;
        }

        // A cached image is judged like a new one: the policy may have changed, a signature may
        // have been revoked, and image-rs's cache skipping the policy was a hole to avoid.
        if (_policy is not null)
        {
            var top = manifest.Document;
            var platformManifest = top.IsIndex
                ? (await _registry.GetManifestAsync(reference.WithDigest(record.ManifestDigest), cancellationToken).ConfigureAwait(false)).Document
                : top;
            await _policy.EnforceAsync(reference, top.IsIndex ? top : null, platformManifest, cancellationToken).ConfigureAwait(false);
        }

        foreach (var diffId in record.DiffIds)
        {
            // A layer decrypted for an earlier pull is handed out only by the puller, after this pull
            // has unwrapped its key: another pod's pull must not inherit the key through the cache.
            if (!await _store.HasLayerAsync(diffId, cancellationToken).ConfigureAwait(false)
                || await _store.IsLayerProtectedAsync(diffId, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }

        var config = ImageConfig.Parse(System.Text.Encoding.UTF8.GetBytes(record.ConfigJson));
        return new GuestImage(config, [.. record.DiffIds.Select(_store.LayerPath)], FromCache: true);
    }

    private static TtrpcStatusCode StatusOf(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case RegistryException { IsNotFound: true }:
                case PlatformNotFoundException:
                    return TtrpcStatusCode.NotFound;
                case RegistryAuthenticationException:
                    return TtrpcStatusCode.PermissionDenied;
                case ContentVerificationException:
                    return TtrpcStatusCode.DataLoss;
                case PolicyRejectedException:
                case Ocicrypt.LayerKeyUnavailableException:
                    return TtrpcStatusCode.PermissionDenied;
                case Ocicrypt.LayerDecryptionException:
                    return TtrpcStatusCode.DataLoss;
            }
        }

        return TtrpcStatusCode.Unknown;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "pulling {Image}")]
    private static partial void LogPulling(ILogger logger, string image);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Image} is unchanged in the registry and cached: nothing to download")]
    private static partial void LogCached(ILogger logger, string image);

    [LoggerMessage(Level = LogLevel.Information, Message = "pulled {Image} ({Downloaded} layers downloaded, {Cached} cached)")]
    private static partial void LogPulled(ILogger logger, string image, int downloaded, int cached);
}
