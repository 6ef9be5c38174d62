using System.Net;
using System.Net.Http.Headers;
using GuestPull.Oci.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestPull.Oci.Registry;

/// <summary>
/// An OCI distribution client for pulling: manifests (verified against the reference digest and
/// Docker-Content-Digest, capped in size), configs, and blob streams verified as they are read.
/// Mirrors from registries.conf are tried first, each with its own credentials; the origin's
/// credentials are never sent to a mirror or to a redirect target on another host. Sessions (with
/// their credentials and tokens) come from <see cref="RepositorySessions"/>, blob streams from
/// <see cref="ResumableBlobReader"/>.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    private readonly RegistryClientOptions _options;
    private readonly RegistryTransport _transport;
    private readonly RepositorySessions _sessions;
    private readonly ResumableBlobReader _blobs;
    private readonly ILogger _logger;

    /// <summary>Creates a client.</summary>
    public RegistryClient(RegistryClientOptions options, ILogger<RegistryClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _transport = new RegistryTransport(options, _logger);
        _sessions = new RepositorySessions(options, _transport, _logger);
        _blobs = new ResumableBlobReader(options, _logger);
    }

    /// <summary>Fetches and verifies the manifest or index <paramref name="reference"/> names.</summary>
    /// <exception cref="RegistryException">Not found, refused, unreachable, or the content did not verify.</exception>
    /// <exception cref="OciFormatException">The document is not a valid manifest (or is schema 1).</exception>
    public async Task<FetchedManifest> GetManifestAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var endpoints = _options.Registries.Resolve(reference.Registry, reference.Repository, reference.Digest is not null).Endpoints;
        return await OnEachEndpointAsync(
            reference,
            reference.Digest is null ? endpoints : WithNodeCache(reference, endpoints),
            (session, ct) => FetchManifestAsync(session, reference, ct),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Qualifies a short name (a reference written without a registry) with registries.conf's
    /// <c>unqualified-search-registries</c>: the first registry that has the manifest wins. Without
    /// search registries the Docker Hub default stands. As in containers-registries.conf, the
    /// default <c>short-name-mode</c> (enforcing) refuses to guess between several registries,
    /// since the first one to answer could serve a look-alike image.
    /// </summary>
    public async Task<ImageReference> QualifyAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var search = _options.Registries.UnqualifiedSearchRegistries;
        if (!reference.IsShortName || search.Count == 0)
        {
            return reference;
        }

        var mode = _options.Registries.ShortNameMode ?? "enforcing";
        if (search.Count > 1 && mode == "enforcing")
        {
            throw new RegistryException($"{reference.Repository} is a short name and short-name-mode is enforcing with several unqualified-search-registries ({string.Join(", ", search)}); use a fully qualified reference");
        }

        var failures = new List<string>();
        foreach (var registry in search)
        {
            var candidate = reference.WithRegistry(registry);
            try
            {
                await GetManifestAsync(candidate, cancellationToken).ConfigureAwait(false);
                _logger.LogInformation("short name resolved to {Reference}", candidate);
                return candidate;
            }
            catch (RegistryException ex) when (ex.IsNotFound || ex is RegistryAuthenticationException)
            {
                failures.Add(ex.Message);
            }
        }

        throw new RegistryException($"short name not found in any unqualified-search registry: {string.Join("; ", failures)}", HttpStatusCode.NotFound);
    }

    /// <summary>
    /// Resolves <paramref name="reference"/> to one image: follows an index to the manifest for
    /// <paramref name="platform"/> (this machine's when null), fetches and verifies the config, and
    /// checks that the config's DiffIDs match the manifest's layers.
    /// </summary>
    public async Task<ResolvedImage> ResolveImageAsync(ImageReference reference, Platform? platform, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var wanted = platform ?? Platform.Current;
        var top = await GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
        ManifestDocument? index = null;
        var document = top.Document;
        var servedBy = top.ServedBy;
        for (var depth = 0; document.IsIndex; depth++)
        {
            if (depth == 2)
            {
                throw new OciFormatException($"{reference}: indexes nested more than two deep");
            }

            index ??= document;
            var entry = document.Index!.SelectPlatform(wanted);
            var child = await GetManifestAsync(reference.WithDigest(entry.Digest), cancellationToken).ConfigureAwait(false);
            if (child.Document.Bytes.Length != entry.Size)
            {
                throw new ContentVerificationException($"{reference}: manifest {entry.Digest} is {child.Document.Bytes.Length} bytes but the index says {entry.Size}");
            }

            document = child.Document;
            servedBy = child.ServedBy;
        }

        var manifest = document.Manifest!;
        if (!MediaTypes.IsImageConfig(manifest.Config.MediaType))
        {
            throw new OciFormatException($"{reference} is not a container image: its config has media type {manifest.Config.MediaType}");
        }

        var configBytes = await GetBlobAsync(reference, manifest.Config, _options.MaxConfigSize, cancellationToken).ConfigureAwait(false);
        var config = ImageConfig.Parse(configBytes);
        if (config.DiffIds.Count != manifest.Layers.Count)
        {
            throw new OciFormatException($"{reference}: the config lists {config.DiffIds.Count} diff_ids but the manifest has {manifest.Layers.Count} layers");
        }

        if (index is null && platform is not null && !platform.Matches(config.Platform))
        {
            throw new PlatformNotFoundException($"{reference} is a single-platform image for {config.Platform}, not {platform}");
        }

        return new ResolvedImage
        {
            Reference = reference,
            Index = index,
            ManifestDocument = document,
            ConfigBytes = configBytes,
            Config = config,
            ServedBy = servedBy,
        };
    }

    /// <summary>Reads a small blob (a config, a signature) into memory, verified, refusing more than <paramref name="maxSize"/> bytes.</summary>
    public async Task<ReadOnlyMemory<byte>> GetBlobAsync(ImageReference reference, Descriptor descriptor, int maxSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (descriptor.Size > maxSize)
        {
            throw new ContentVerificationException($"blob {descriptor.Digest} of {reference.Name} is {descriptor.Size} bytes, over the limit of {maxSize}");
        }

        // Read inside the endpoint loop: a mirror whose copy fails verification is passed over for the next source.
        return await OnEachEndpointAsync(
            reference,
            BlobEndpoints(reference),
            async (session, ct) =>
            {
                await using var stream = await _blobs.OpenAsync(session, descriptor, $"blob {descriptor.Digest} of {reference.Name}", ct).ConfigureAwait(false);
                return await BoundedRead.ReadAsync(stream, maxSize, ct).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a blob for streaming. The stream checks size and digest as it is read and throws
    /// <see cref="ContentVerificationException"/> at the end on a mismatch; it resumes with
    /// <c>Range</c> after a dropped connection. It must be read asynchronously.
    /// </summary>
    public async Task<Stream> OpenBlobAsync(ImageReference reference, Descriptor descriptor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(descriptor);
        return await OnEachEndpointAsync(
            reference,
            BlobEndpoints(reference),
            (session, ct) => _blobs.OpenAsync(session, descriptor, $"blob {descriptor.Digest} of {reference.Name}", ct),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Like <see cref="OpenBlobAsync(ImageReference, Descriptor, CancellationToken)"/>, from the
    /// registry itself (or its configured location) only, passing over every mirror: the second
    /// try after a mirror's copy failed verification.
    /// </summary>
    public async Task<Stream> OpenBlobFromRegistryAsync(ImageReference reference, Descriptor descriptor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(descriptor);
        var session = _sessions.Get(reference, BlobEndpoints(reference)[^1]);
        return await _blobs.OpenAsync(session, descriptor, $"blob {descriptor.Digest} of {reference.Name}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether blobs of <paramref name="reference"/> are tried at a mirror before the registry.</summary>
    public bool HasBlobMirrors(ImageReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return BlobEndpoints(reference).Count > 1;
    }

    /// <summary>
    /// Opens a blob whose size is not known in advance (a pull-through cache asked for it by digest
    /// alone): the size is the registry's Content-Length, which the stream then holds the content to
    /// (<see cref="Stream.Length"/>), and the digest is verified as it is read, as with a descriptor.
    /// </summary>
    /// <exception cref="RegistryException">Not found, refused, unreachable, or no Content-Length.</exception>
    public async Task<Stream> OpenBlobAsync(ImageReference reference, Digest digest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return await OnEachEndpointAsync(
            reference,
            BlobEndpoints(reference),
            (session, ct) => _blobs.OpenUnsizedAsync(session, digest, $"blob {digest} of {reference.Name}", ct),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Lists the manifests that name <paramref name="subject"/> as their subject through the OCI
    /// referrers API (<c>GET /v2/&lt;name&gt;/referrers/&lt;digest&gt;</c>), filtered by
    /// <paramref name="artifactType"/> when given. Returns null when the registry does not offer the
    /// API (it answers 404 or 405), so the caller can fall back to the tag schema.
    /// </summary>
    /// <exception cref="RegistryException">The registry refused the request or is unreachable.</exception>
    /// <exception cref="OciFormatException">The answer is not an image index.</exception>
    public async Task<ImageIndex?> GetReferrersAsync(ImageReference reference, Digest subject, string? artifactType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return await OnEachEndpointAsync(reference, (session, ct) => FetchReferrersAsync(session, reference, subject, artifactType, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => _transport.Dispose();

    private static string Served(RepositorySession session) => session.Endpoint.Host;

    private IReadOnlyList<Configuration.RegistryEndpoint> BlobEndpoints(ImageReference reference) =>
        WithNodeCache(reference, _options.Registries.ResolveBlobs(reference.Registry, reference.Repository, reference.Digest is not null).Endpoints);

    private IReadOnlyList<Configuration.RegistryEndpoint> WithNodeCache(ImageReference reference, IReadOnlyList<Configuration.RegistryEndpoint> endpoints) =>
        _options.NodeCache is { } cache
            ? [new Configuration.RegistryEndpoint(cache, reference.Registry + "/" + reference.Repository, Insecure: true, IsMirror: true), .. endpoints]
            : endpoints;

    private Task<T> OnEachEndpointAsync<T>(ImageReference reference, Func<RepositorySession, CancellationToken, Task<T>> action, CancellationToken cancellationToken) =>
        OnEachEndpointAsync(reference, _options.Registries.Resolve(reference.Registry, reference.Repository, reference.Digest is not null).Endpoints, action, cancellationToken);

    private async Task<T> OnEachEndpointAsync<T>(ImageReference reference, IReadOnlyList<Configuration.RegistryEndpoint> endpoints, Func<RepositorySession, CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        for (var i = 0; i < endpoints.Count; i++)
        {
            var endpoint = endpoints[i];
            var session = _sessions.Get(reference, endpoint);
            try
            {
                return await action(session, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (i < endpoints.Count - 1 && endpoint.IsMirror && ex is RegistryException or OciFormatException)
            {
                _logger.LogWarning("{Reference}: mirror {Mirror} failed, trying the next source: {Error}", reference, endpoint.Host, ex.Message);
            }
        }

        throw new InvalidOperationException("registries.conf resolution produced no endpoint");
    }

    private async Task<FetchedManifest> FetchManifestAsync(RepositorySession session, ImageReference reference, CancellationToken cancellationToken)
    {
        var what = $"manifest {reference}";
        using var response = await session.GetAsync(
            "manifests/" + reference.ManifestReference,
            request =>
            {
                foreach (var type in MediaTypes.ManifestAccept)
                {
                    request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
                }
            },
            what,
            cancellationToken).ConfigureAwait(false);

        await RegistryErrorBody.ThrowIfFailedAsync(response, session, what, cancellationToken).ConfigureAwait(false);

        ReadOnlyMemory<byte> bytes;
        try
        {
            bytes = await BoundedRead.ReadAsync(response.Content, _options.MaxManifestSize, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            throw new ContentVerificationException($"{what}: manifest from {session.Endpoint.Host} is too large ({ex.Message}; the limit is {_options.MaxManifestSize / (1024 * 1024)} MiB)");
        }
        catch (Exception ex) when (RegistryTransport.IsTransient(ex, cancellationToken))
        {
            throw new RegistryException($"{what}: {_transport.Describe(ex, session.BaseUri)}", innerException: ex);
        }

        Digest? served = null;
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values))
        {
            var text = values.First().Trim();
            if (!Digest.TryParse(text, out var parsed))
            {
                throw new ContentVerificationException($"{what}: {session.Endpoint.Host} sent a malformed Docker-Content-Digest \"{(text.Length > 80 ? text[..80] : text)}\"");
            }

            served = parsed;
        }

        var document = ManifestParser.Parse(bytes, response.Content.Headers.ContentType?.ToString(), reference.Digest ?? served);
        if (reference.Digest is { } pinned && pinned.ComputeSameAlgorithm(bytes.Span) != pinned)
        {
            throw new ContentVerificationException($"{what}: digest mismatch: asked for {pinned}, {session.Endpoint.Host} served content that hashes to {pinned.ComputeSameAlgorithm(bytes.Span)}");
        }

        if (served is { } header && header.ComputeSameAlgorithm(bytes.Span) != header)
        {
            throw new ContentVerificationException($"{what}: digest mismatch: Docker-Content-Digest says {header}, the body hashes to {header.ComputeSameAlgorithm(bytes.Span)}");
        }

        return new FetchedManifest(document, Served(session));
    }

    private async Task<ImageIndex?> FetchReferrersAsync(RepositorySession session, ImageReference reference, Digest subject, string? artifactType, CancellationToken cancellationToken)
    {
        var what = $"referrers of {reference.Name}@{subject}";
        var relative = "referrers/" + subject + (artifactType is null ? string.Empty : "?artifactType=" + Uri.EscapeDataString(artifactType));
        using var response = await session.GetAsync(
            relative,
            request => request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciIndex)),
            what,
            cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
        {
            return null;
        }

        await RegistryErrorBody.ThrowIfFailedAsync(response, session, what, cancellationToken).ConfigureAwait(false);
        ReadOnlyMemory<byte> bytes;
        try
        {
            bytes = await BoundedRead.ReadAsync(response.Content, _options.MaxManifestSize, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            throw new ContentVerificationException($"{what}: the answer from {session.Endpoint.Host} is too large ({ex.Message})");
        }
        catch (Exception ex) when (RegistryTransport.IsTransient(ex, cancellationToken))
        {
            throw new RegistryException($"{what}: {_transport.Describe(ex, session.BaseUri)}", innerException: ex);
        }

        var document = ManifestParser.Parse(bytes, response.Content.Headers.ContentType?.ToString());
        var index = document.Index ?? throw new OciFormatException($"{what}: {session.Endpoint.Host} answered with a manifest, not an image index");

        // A registry may ignore the filter; apply it here too.
        return artifactType is null ? index : index with { Manifests = [.. index.Manifests.Where(m => m.ArtifactType == artifactType)] };
    }
}
