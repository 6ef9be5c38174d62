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
        return new VerifyingBlobStream(
            (offset, innerCt) => OpenAtAsync(session, descriptor, offset, what, innerCt),
            first,
            descriptor,
            what,
            _options.MaxBlobResumes,
            _options.ReadIdleTimeout);
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
        return new VerifyingBlobStream(
            (offset, innerCt) => OpenAtAsync(session, descriptor, offset, what, innerCt),
            first,
            descriptor,
            what,
            _options.MaxBlobResumes,
            _options.ReadIdleTimeout);
    }

    private static async Task SkipAsync(Stream stream, long count, CancellationToken cancellationToken)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (count > 0)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new IOException("the blob ended before the resume offset");
                }

                count -= read;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

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

            // No Range support: read the whole blob again and skip what was already hashed.
            _logger.LogInformation("{What}: {Host} ignores Range; downloading again and skipping {Offset} bytes", what, session.Endpoint.Host, offset);
            await SkipAsync(stream, offset, cancellationToken).ConfigureAwait(false);
            return new ResponseOwningStream(stream, response);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }
}
