using System.Text;
using System.Text.Json.Nodes;
using GuestPull.Agent.Storage;
using GuestPull.Api.Cdh;
using GuestPull.Images.Bundles;
using GuestPull.Images.Signatures;
using GuestPull.Images.Store;
using GuestPull.Linux;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using GuestPull.Oci.Registry.Auth;
using GuestPull.Oci.Registry.Configuration;
using GuestPull.Ttrpc;
using Microsoft.Extensions.Logging;

namespace GuestPull.Agent.ConfidentialDataHub;

/// <summary>
/// <c>api.ImagePullService/PullImage</c>: the image is pulled into the layer store under <c>work_dir</c>
/// by the agent's own image service (every digest verified, the policy evaluated on every pull), then
/// <c>bundle_path/rootfs</c> is mounted as an overlay of its layers and <c>bundle_path/config.json</c>
/// written from the image config. Pulls run in parallel; a layer two pulls need is fetched once.
/// </summary>
internal sealed partial class CdhImageService : IAsyncDisposable
{
    /// <summary>kata-agent's default <c>image_pull_timeout</c>; its own deadline usually ends a pull first.</summary>
    private static readonly TimeSpan PullTimeout = TimeSpan.FromSeconds(1200);

    private readonly CdhImageSettings _settings;
    private readonly LayerStore _store;
    private readonly GuestImageService _images;
    private readonly BundleWriter _bundles;
    private readonly ILogger _logger;

    private CdhImageService(CdhImageSettings settings, LayerStore store, GuestImageService images, BundleWriter bundles, ILogger logger)
    {
        _settings = settings;
        _store = store;
        _images = images;
        _bundles = bundles;
        _logger = logger;
    }

    /// <summary>Opens the layer store under <c>work_dir</c> and loads every file the settings name.</summary>
    /// <exception cref="AgentConfigurationException">A named file is missing or malformed; the message names the setting.</exception>
    public static async Task<CdhImageService> CreateAsync(CdhImageSettings settings, ILoggerFactory logging, CancellationToken cancellationToken)
    {
        var scratch = Path.Combine(settings.WorkDir, "cdh");
        Directory.CreateDirectory(scratch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        ApplyProxy(settings);
        var options = new RegistryClientOptions
        {
            Registries = Registries(settings),
            AuthFile = Load("authenticated_registry_credentials_uri", settings.CredentialsFile, AuthFile.Load) ?? AuthFile.Empty,
            CaFile = ExtraRoots(settings, scratch),
        };
        RegistryClient registry;
        try
        {
            registry = new RegistryClient(options, logging.CreateLogger<RegistryClient>());
        }
        catch (InvalidDataException ex)
        {
            throw new AgentConfigurationException($"[image] extra_root_certificates: {ex.Message}", ex);
        }

        PolicyEvaluator? policy = null;
        LayerDecryption? decryption = null;
        LayerStore? store = null;
        try
        {
            policy = Policy(settings, scratch, registry, logging);
            // Kata gives CDH its key providers through $OCICRYPT_KEYPROVIDER_CONFIG, as ocicrypt does.
            decryption = LayerDecryption.Load([], keyProviderConfig: null, logging);
            store = await LayerStore.OpenAsync(settings.WorkDir, logging.CreateLogger<LayerStore>(), cancellationToken).ConfigureAwait(false);
            var images = new GuestImageService(registry, store, policy, decryption, settings.MaxConcurrentLayerDownloads, PullTimeout, logging);
            return new CdhImageService(settings, store, images, new BundleWriter(logging.CreateLogger<BundleWriter>()), logging.CreateLogger("GuestPull.Cdh.Images"));
        }
        catch
        {
            policy?.Dispose();
            decryption?.Dispose();
            registry.Dispose();
            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Pulls <c>image_url</c> and mounts <c>bundle_path/rootfs</c>; answers the manifest digest.</summary>
    /// <exception cref="TtrpcException">The request is malformed, a setting is not served, or the pull failed (the message names the image and the cause).</exception>
    public async Task<ImagePullResponse> PullAsync(ImagePullRequest request, CancellationToken cancellationToken)
    {
        if (_settings.Unserved.Count > 0)
        {
            throw new TtrpcException(
                TtrpcStatusCode.Unimplemented,
                $"cannot pull image \"{request.ImageUrl}\": the image settings name resources GuestPull's confidential-data-hub does not serve: {string.Join("; ", _settings.Unserved)}");
        }

        if (string.IsNullOrWhiteSpace(request.ImageUrl))
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, "image_url is empty");
        }

        var bundle = BundlePath(request.BundlePath);
        var image = await _images.PullAsync(request.ImageUrl, cancellationToken).ConfigureAwait(false);
        var reference = ImageReference.Parse(request.ImageUrl).ToString();
        var record = await _store.GetImageAsync(reference, cancellationToken).ConfigureAwait(false)
            ?? throw new TtrpcException(TtrpcStatusCode.Internal, $"image \"{request.ImageUrl}\" was pulled but the layer store has no record of it");
        try
        {
            await _bundles.CreateAsync(bundle, image.LayerDirectories, rootfs => Spec(image.Config, rootfs), BundleMode.Overlay, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NativeCallException)
        {
            throw new TtrpcException(TtrpcStatusCode.Internal, $"image \"{request.ImageUrl}\" was pulled but its bundle {bundle} could not be made: {ex.Message}", details: null, innerException: ex);
        }

        LogBundle(_logger, request.ImageUrl, record.ManifestDigest.ToString(), bundle);
        return new ImagePullResponse { ManifestDigest = record.ManifestDigest.ToString() };
    }

    public async ValueTask DisposeAsync()
    {
        _images.Dispose();
        await _store.DisposeAsync().ConfigureAwait(false);
    }

    // kata-agent writes the config.json it runs over this one; this one is the image's own process
    // (args, env, cwd) for any other caller, made as the agent makes its bundles' (NativeAOT-safe).
    private static JsonObject Spec(ImageConfig config, string rootfs)
    {
        var spec = new JsonObject { ["ociVersion"] = "1.1.0", ["process"] = new JsonObject(), ["root"] = new JsonObject { ["path"] = rootfs } };
        return (config.Entrypoint?.Count ?? 0) + (config.Cmd?.Count ?? 0) > 0 ? SpecMerger.ForImage(spec, config, rootfs) : spec;
    }

    // kata-agent names /run/kata-containers/<container id>, made empty before the call. Any absolute
    // path is taken, as the real CDH does, but not one that reads differently once normalised.
    private static string BundlePath(string path)
    {
        if (!Path.IsPathFullyQualified(path) || path.Contains('\0', StringComparison.Ordinal)
            || Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)) != Path.TrimEndingDirectorySeparator(path) || path == "/")
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, $"bundle_path \"{path}\" must be an absolute, normalised directory path");
        }

        return Path.TrimEndingDirectorySeparator(path);
    }

    private static RegistriesConfiguration Registries(CdhImageSettings settings)
    {
        try
        {
            // No settings: image-rs's behaviour, every name as written; the guest's /etc/containers is not consulted.
            return settings.RegistriesFile is { } file ? RegistriesConfiguration.Load(file)
                : settings.RegistriesText is { } text ? RegistriesConfiguration.Parse(text, "cdh.toml [image.registry_config]")
                : RegistriesConfiguration.Empty;
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException)
        {
            throw new AgentConfigurationException($"[image] registry_configuration_uri / registry_config: {ex.Message}", ex);
        }
    }

    private static T? Load<T>(string setting, string? path, Func<string, T> load)
        where T : class
    {
        try
        {
            return path is null ? null : load(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException or IOException or UnauthorizedAccessException or PolicyFormatException)
        {
            throw new AgentConfigurationException($"[image] {setting}: {ex.Message}", ex);
        }
    }

    private static string? ExtraRoots(CdhImageSettings settings, string scratch)
    {
        if (settings.ExtraRootCertificates.Count == 0)
        {
            return null;
        }

        var path = Path.Combine(scratch, "extra-root-certificates.pem");
        AtomicFile.Write(path, Encoding.UTF8.GetBytes(string.Join('\n', settings.ExtraRootCertificates) + "\n"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static PolicyEvaluator? Policy(CdhImageSettings settings, string scratch, RegistryClient registry, ILoggerFactory logging)
    {
        var policy = Load("image_security_policy_uri", settings.PolicyFile, SignaturePolicy.Load)
            ?? (settings.PolicyText is { } text
                ? Load("image_security_policy", text, t => SignaturePolicy.Parse(Encoding.UTF8.GetBytes(t), "cdh.toml [image] image_security_policy"))
                : null);
        if (policy is null)
        {
            return null;
        }

        // The sigstore config is one registries.d file; the loader reads a directory of them, so the
        // file is given a private directory of its own (nothing else beside it is read).
        var registriesDirectory = RegistriesDirectory.Empty;
        if (settings.SigstoreConfigFile is { } sigstore)
        {
            var directory = Path.Combine(scratch, "registries.d");
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var content = Load("sigstore_config_uri", sigstore, File.ReadAllBytes)!;
            AtomicFile.Write(Path.Combine(directory, "sigstore-config.yaml"), content, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            registriesDirectory = Load("sigstore_config_uri", directory, RegistriesDirectory.Load)!;
        }

        return new PolicyEvaluator(policy, registriesDirectory, registry, logging.CreateLogger<PolicyEvaluator>());
    }

    // .NET's HTTP stack reads the proxy from these variables when the first request is made, which
    // comes after this; the process serves nothing else, so setting them process-wide is the intent.
    private static void ApplyProxy(CdhImageSettings settings)
    {
        if (settings.HttpsProxy is { } https)
        {
            Environment.SetEnvironmentVariable("HTTPS_PROXY", https);
        }

        if (settings.HttpProxy is { } http)
        {
            Environment.SetEnvironmentVariable("HTTP_PROXY", http);
        }

        if (settings.NoProxy is { } none)
        {
            Environment.SetEnvironmentVariable("NO_PROXY", none);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "image {Image} ({Digest}) mounted at {Bundle}/rootfs")]
    private static partial void LogBundle(ILogger logger, string image, string digest, string bundle);
}
