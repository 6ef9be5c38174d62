using System.Net;
using System.Net.Http.Headers;
using GuestPull.Oci.Model;
using Microsoft.Extensions.Logging;

namespace GuestPull.Oci.Registry;

/// <summary>
/// Opens blobs of one client as verifying streams that resume a dropped download with <c>Range</c>
/// (or, from a registry that ignores Range, by downloading again and skipping what was already read).
/// </summary>
internal sealed class ResumableBlobReader
{
    private readonly RegistryClientOptions _options;
    private readonly ILogger _logger;

    public ResumableBlobReader(RegistryClientOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
    }

    /// <summary>
    /// Opens the blob from <paramref name="session"/>'s endpoint. The stream checks size and digest as it is read
    /// and reopens the blob at the offset reached after a dropped connection.
    /// </summary>
    public async Task<Stream> OpenAsync(RepositorySession session, Descriptor descriptor, string what, CancellationToken cancellationToken)
    {
        var first = await OpenAtAsync(session, descriptor, 0, what, cancellationToken).ConfigureAwait(false);
        return Verifying(session, descriptor, first, what);
    }

    /// <summary>
    /// Opens a blob known by digest only: its size is taken from the first response's Content-Length
    /// and then enforced like a descriptor's (a pull-through cache does not know sizes in advance).
    /// </summary>
    public async Task<Stream> OpenUnsizedAsync(RepositorySession session, Digest digest, string what, CancellationToken cancellationToken)
    {
        var unsized = new Descriptor("application/octet-stream", digest, 0);
        var first = await OpenAtAsync(session, unsized, 0, what, cancellationToken).ConfigureAwait(false);
        if (first is not ResponseOwningStream { ContentLength: { } size and >= 0 })
        {
            await first.DisposeAsync().ConfigureAwait(false);
            throw new RegistryException($"{what}: {session.Endpoint.Host} sent no Content-Length");
        }

        var descriptor = unsized with { Size = size };
        return Verifying(session, descriptor, first, what);
    }

    // The stream both openings hand out: digest and size checked at its end, resumed at the offset
    // reached when the connection drops.
    private VerifyingBlobStream Verifying(RepositorySession session, Descriptor descriptor, Stream first, string what) =>
        new(
            (offset, innerCt) => OpenAtAsync(session, descriptor, offset, what, innerCt),
            first,
            descriptor,
            what,
            _options.BlobResumes,
            _options.ReadIdleTimeout,
            session.Endpoint.Host);

    // Returns how many bytes were skipped: fewer than count when the blob ended first.
    private static async Task<long> SkipAsync(Stream stream, long count, CancellationToken cancellationToken)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var skipped = 0L;
            while (skipped < count)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count - skipped)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                skipped += read;
            }

            return skipped;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ContentVerificationException Truncated(RepositorySession session, Descriptor descriptor, long length, string what, string how) =>
        new($"{what}: truncated blob: {session.Endpoint.Host} has only {length} of the {descriptor.Size} bytes its descriptor declares ({how})");

    private async Task<Stream> OpenAtAsync(RepositorySession session, Descriptor descriptor, long offset, string what, CancellationToken cancellationToken)
    {
        var response = await session.GetAsync(
            "blobs/" + descriptor.Digest,
            request =>
            {
                if (offset > 0)
                {
                    request.Headers.Range = new RangeHeaderValue(offset, null);
                }
            },
            what,
            cancellationToken).ConfigureAwait(false);
        try
        {
            if (offset > 0 && response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                // The body ended at `offset` and nothing lies beyond it: the registry's copy is short.
                var length = response.Content.Headers.ContentRange?.Length ?? offset;
                throw Truncated(session, descriptor, length, what, $"it answered 416 Requested Range Not Satisfiable to a resume at byte {offset}");
            }

            await RegistryErrorBody.ThrowIfFailedAsync(response, session, what, cancellationToken).ConfigureAwait(false);
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            if (offset == 0)
            {
                return new ResponseOwningStream(stream, response);
            }

            if (response.StatusCode == HttpStatusCode.PartialContent)
            {
                var range = response.Content.Headers.ContentRange;
                if (range?.From != offset)
                {
                    throw new ContentVerificationException($"{what}: asked to resume at byte {offset}, {session.Endpoint.Host} answered with range {range}");
                }

                _logger.LogInformation("{What}: resumed at byte {Offset}", what, offset);
                return new ResponseOwningStream(stream, response);
            }

            // No Range support: read the whole blob again and skip what was already hashed. When the
            // whole blob is no longer than what was read already, there is nothing more to come.
            if (response.Content.Headers.ContentLength is { } whole && whole <= offset && whole < descriptor.Size)
            {
                throw Truncated(session, descriptor, whole, what, $"downloaded again from the start, since it ignores Range");
            }

            _logger.LogInformation("{What}: {Host} ignores Range; downloading again and skipping {Offset} bytes", what, session.Endpoint.Host, offset);
            var skipped = await SkipAsync(stream, offset, cancellationToken).ConfigureAwait(false);
            if (skipped < offset)
            {
                throw Truncated(session, descriptor, skipped, what, "downloaded again from the start, since it ignores Range");
            }

            return new ResponseOwningStream(stream, response);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }
}
