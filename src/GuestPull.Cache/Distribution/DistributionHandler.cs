using System.Buffers;
using System.Globalization;
using System.Net;
using GuestPull.Cache.Store;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using GuestPull.Oci.Registry.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GuestPull.Cache.Distribution;

/// <summary>
/// Answers the OCI distribution read API from the store, fetching a miss from its upstream
/// registry through <see cref="RegistryClient"/> (which verifies what it reads). Only content named
/// by digest is served: a tag would let the cache choose what an image is, so tags are refused and
/// resolved by clients at the registry itself.
/// </summary>
internal sealed class DistributionHandler
{
    /// <summary>The User-Agent prefix of the cache's own upstream requests: a request carrying it is a mirror loop.</summary>
    public const string UserAgentPrefix = "guestpull-cache/";

    private const int ChunkSize = 256 * 1024;
    private const int MaxAttempts = 3;

    private readonly RegistryClient _upstream;
    private readonly BlobStore _store;
    private readonly CacheMetrics _metrics;
    private readonly ILogger _logger;

    public DistributionHandler(RegistryClient upstream, BlobStore store, CacheMetrics metrics, ILogger logger)
    {
        _upstream = upstream;
        _store = store;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        context.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            await RefuseAsync(context, StatusCodes.Status405MethodNotAllowed, "UNSUPPORTED", $"{request.Method} is not served: this is a read-only pull-through cache").ConfigureAwait(false);
            return;
        }

        if (request.Path.Value == "/metrics")
        {
            await WriteMetricsAsync(context).ConfigureAwait(false);
            return;
        }

        var path = DistributionPath.Parse(request.Path.Value ?? string.Empty);
        if (path is null || path.Kind == RequestKind.Unsupported)
        {
            await RefuseAsync(context, StatusCodes.Status404NotFound, "UNSUPPORTED", "only /v2/, /v2/<name>/blobs/<digest> and /v2/<name>/manifests/<digest> are served").ConfigureAwait(false);
            return;
        }

        if (path.Kind == RequestKind.ApiBase)
        {
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = 2;
            if (HttpMethods.IsGet(request.Method))
            {
                await context.Response.WriteAsync("{}", context.RequestAborted).ConfigureAwait(false);
            }

            return;
        }

        if (request.Headers.UserAgent.ToString().StartsWith(UserAgentPrefix, StringComparison.Ordinal))
        {
            await RefuseAsync(context, StatusCodes.Status404NotFound, "NAME_UNKNOWN", "this request comes from a guestpull cache: a cache never fetches from itself (remove this mirror from the cache's registries.conf)").ConfigureAwait(false);
            return;
        }

        var unknown = path.Kind == RequestKind.Blob ? "BLOB_UNKNOWN" : "MANIFEST_UNKNOWN";
        if (!Digest.TryParse(path.Reference, out var digest))
        {
            // A tag: the cache would decide what the image is. Clients resolve tags at the registry itself.
            await RefuseAsync(
                context,
                StatusCodes.Status404NotFound,
                path.Kind == RequestKind.Blob ? "DIGEST_INVALID" : unknown,
                path.Kind == RequestKind.Blob
                    ? $"\"{path.Reference}\" is not a digest"
                    : $"\"{path.Reference}\" is a tag: this cache serves content by digest only; resolve tags at the registry").ConfigureAwait(false);
            return;
        }

        var (upstream, error) = UpstreamName.Resolve(path.Name, request.Query["ns"].ToString());
        if (upstream is null)
        {
            await RefuseAsync(context, StatusCodes.Status404NotFound, "NAME_UNKNOWN", error!).ConfigureAwait(false);
            return;
        }

        try
        {
            if (path.Kind == RequestKind.Blob)
            {
                await ServeBlobAsync(context, upstream.WithDigest(digest), digest).ConfigureAwait(false);
            }
            else
            {
                await ServeManifestAsync(context, upstream.WithDigest(digest), digest).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (Upstream(ex) is { } failure && !context.Response.HasStarted)
        {
            _logger.LogWarning("cache: {Name}@{Digest}: {Error}", upstream.Name, digest, ex.Message);
            await RefuseAsync(context, failure.Status, failure.Code == "UNKNOWN" ? unknown : failure.Code, ex.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; a fetch it started goes on for the others.
        }
        catch (Exception ex)
        {
            // Headers are out: cut the connection so the client sees a broken download, never a clean short one.
            _logger.LogWarning("cache: serving {Name}@{Digest} broke off: {Error}", upstream.Name, digest, ex.Message);
            context.Abort();
        }
    }

    // Not found or refused upstream answers 404 so every kind of client moves on to its next source
    // (containerd only does so on 404), where its own credentials may succeed.
    private static (int Status, string Code)? Upstream(Exception ex) => ex switch
    {
        RegistryBlockedException => (StatusCodes.Status403Forbidden, "DENIED"),
        RegistryException { StatusCode: HttpStatusCode.NotFound } => (StatusCodes.Status404NotFound, "UNKNOWN"),
        RegistryAuthenticationException or RegistryException { StatusCode: HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden } => (StatusCodes.Status404NotFound, "UNKNOWN"),
        RegistryException or OciFormatException or InvalidDataException => (StatusCodes.Status502BadGateway, "UNKNOWN"),
        _ => null,
    };

    private async Task ServeManifestAsync(HttpContext context, ImageReference reference, Digest digest)
    {
        var ct = context.RequestAborted;
        var bytes = await _store.TryReadAsync(digest, ct).ConfigureAwait(false);
        ManifestDocument? document = null;
        if (bytes is not null)
        {
            try
            {
                document = ManifestParser.Parse(bytes, null, digest);
            }
            catch (OciFormatException)
            {
                document = null;
            }

            if (document is null || digest.ComputeSameAlgorithm(bytes) != digest)
            {
                DropCorrupt(digest);
                document = null;
            }
            else
            {
                _metrics.Hit();
            }
        }

        if (document is null)
        {
            _metrics.Miss(coalesced: false);
            _metrics.UpstreamFetch();
            var fetched = await _upstream.GetManifestAsync(reference, ct).ConfigureAwait(false);
            document = fetched.Document;
            _metrics.Upstream(document.Bytes.Length);
            _store.Add(digest, document.Bytes.Span);
        }

        var response = context.Response;
        response.ContentType = document.MediaType;
        response.ContentLength = document.Bytes.Length;
        response.Headers["Docker-Content-Digest"] = digest.ToString();
        if (HttpMethods.IsGet(context.Request.Method))
        {
            await response.Body.WriteAsync(document.Bytes, ct).ConfigureAwait(false);
            _metrics.Served(document.Bytes.Length);
        }
    }

    private async Task ServeBlobAsync(HttpContext context, ImageReference reference, Digest digest)
    {
        var ct = context.RequestAborted;
        for (var attempt = 1; ; attempt++)
        {
            using (var entry = _store.TryOpen(digest))
            {
                if (entry is not null)
                {
                    _metrics.Hit();
                    await ServeEntryAsync(context, digest, entry).ConfigureAwait(false);
                    return;
                }
            }

            var started = _store.GetOrStartDownload(digest, token => _upstream.OpenBlobAsync(reference, digest, token), _metrics.Upstream);
            if (started is not { } running)
            {
                continue; // It became an entry meanwhile.
            }

            var (download, joined) = running;
            _metrics.Miss(joined);
            if (!joined)
            {
                _metrics.UpstreamFetch();
            }

            var size = await download.Started.WaitAsync(ct).ConfigureAwait(false);
            Microsoft.Win32.SafeHandles.SafeFileHandle file;
            try
            {
                file = download.OpenReader();
            }
            catch (FileNotFoundException) when (attempt < MaxAttempts)
            {
                continue; // Committed and already evicted: look again.
            }

            using (file)
            {
                var range = StartResponse(context, digest, size);
                if (range is { } bytes && HttpMethods.IsGet(context.Request.Method))
                {
                    await download.CopyToAsync(file, context.Response.Body, bytes.Start, bytes.Length, _metrics.Served, ct).ConfigureAwait(false);
                }
            }

            return;
        }
    }

    /// <summary>
    /// Serves an entry. A whole-blob GET is hashed on the way out and its last chunk held back until
    /// the digest matched: an entry altered on disk is dropped and the client gets a broken
    /// download, which its own verification would refuse anyway.
    /// </summary>
    private async Task ServeEntryAsync(HttpContext context, Digest digest, CachedBlob entry)
    {
        var ct = context.RequestAborted;
        var range = StartResponse(context, digest, entry.Size);
        if (range is not { } bytes || !HttpMethods.IsGet(context.Request.Method))
        {
            return;
        }

        var whole = bytes.Start == 0 && bytes.Length == entry.Size;
        using var hash = whole ? digest.CreateHash() : null;
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            var position = bytes.Start;
            var end = bytes.Start + bytes.Length;
            while (position < end)
            {
                var read = await RandomAccess.ReadAsync(entry.File, buffer.AsMemory(0, (int)Math.Min(ChunkSize, end - position)), position, ct).ConfigureAwait(false);
                if (read == 0)
                {
                    DropCorrupt(digest);
                    context.Abort();
                    return;
                }

                if (hash is not null)
                {
                    hash.AppendData(buffer, 0, read);
                    if (position + read == end && Digest.FromHash(digest.Algorithm, hash.GetHashAndReset()) != digest)
                    {
                        DropCorrupt(digest);
                        context.Abort();
                        return;
                    }
                }

                await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                _metrics.Served(read);
                position += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes status and headers for a blob of <paramref name="size"/> bytes; returns the bytes to send, or null (416).</summary>
    private static ByteRange? StartResponse(HttpContext context, Digest digest, long size)
    {
        var response = context.Response;
        response.Headers["Docker-Content-Digest"] = digest.ToString();
        response.Headers.AcceptRanges = "bytes";
        var (kind, range) = ByteRange.Parse(context.Request.Headers.Range.ToString(), size);
        switch (kind)
        {
            case RangeRequest.Unsatisfiable:
                response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                response.Headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes */{size}");
                response.ContentLength = 0;
                return null;
            case RangeRequest.Partial:
                response.StatusCode = StatusCodes.Status206PartialContent;
                response.Headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {range.Start}-{range.End}/{size}");
                break;
            default:
                response.StatusCode = StatusCodes.Status200OK;
                break;
        }

        response.ContentType = "application/octet-stream";
        response.ContentLength = range.Length;
        return range;
    }

    private void DropCorrupt(Digest digest)
    {
        _metrics.Corrupt();
        _store.Discard(digest);
        _logger.LogError("cache: entry {Digest} does not match its digest on disk; dropped it (the next request fetches it again)", digest);
    }

    private async Task RefuseAsync(HttpContext context, int status, string code, string message)
    {
        _metrics.Refuse();
        await DistributionError.WriteAsync(context, status, code, message).ConfigureAwait(false);
    }

    private async Task WriteMetricsAsync(HttpContext context)
    {
        var text = _metrics.Render(_store.TotalBytes, _store.Count);
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await context.Response.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
    }
}
