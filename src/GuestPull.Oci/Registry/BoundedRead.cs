using System.Buffers;

namespace GuestPull.Oci.Registry;

/// <summary>Reads a response body into memory only up to a cap, so a hostile registry can't exhaust memory.</summary>
internal static class BoundedRead
{
    /// <summary>Reads all of <paramref name="content"/>; throws <see cref="InvalidDataException"/> past <paramref name="maxBytes"/>.</summary>
    public static async Task<ReadOnlyMemory<byte>> ReadAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is long declared && declared > maxBytes)
        {
            throw new InvalidDataException($"{declared} bytes, over the limit of {maxBytes} bytes");
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(stream, maxBytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads all of <paramref name="stream"/>; throws <see cref="InvalidDataException"/> past <paramref name="maxBytes"/>.</summary>
    public static async Task<ReadOnlyMemory<byte>> ReadAsync(Stream stream, int maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Min(maxBytes + 1, 64 * 1024));
        while (true)
        {
            var memory = buffer.GetMemory(16 * 1024);
            var read = await stream.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.WrittenMemory;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes)
            {
                throw new InvalidDataException($"more than the limit of {maxBytes} bytes");
            }
        }
    }
}
