using System.Net;
using GuestPull.Oci.Model;

namespace GuestPull.Images.Signatures;

/// <summary>
/// Reads simple-signing signatures from a lookaside store, as containers/image lays it out:
/// <c>&lt;lookaside&gt;/&lt;repository&gt;@&lt;algorithm&gt;=&lt;hex&gt;/signature-&lt;n&gt;</c>, n = 1, 2, …
/// until the first one that does not exist. The repository and digest are validated before they
/// become a path or URL.
/// </summary>
internal static class LookasideSignatureFetcher
{
    private const int MaxSignatureSize = 4 * 1024 * 1024;
    private const int MaxSignatures = 64;

    public static Uri SignatureUri(Uri lookaside, ImageReference image, Digest digest, int number)
    {
        var basePath = lookaside.AbsolutePath.TrimEnd('/');
        var builder = new UriBuilder(lookaside)
        {
            Path = $"{basePath}/{image.Repository}@{digest.Algorithm}={digest.Hex}/signature-{number}",
        };
        return builder.Uri;
    }

    public static async Task<FetchedSignatures<byte[]>> FetchAsync(Uri lookaside, ImageReference image, Digest digest, Func<HttpClient> http, CancellationToken cancellationToken)
    {
        var location = SignatureUri(lookaside, image, digest, 1).ToString();
        location = location[..location.LastIndexOf('/')] + "/signature-N";
        var signatures = new List<byte[]>();
        for (var number = 1; number <= MaxSignatures; number++)
        {
            var uri = SignatureUri(lookaside, image, digest, number);
            try
            {
                var signature = uri.IsFile
                    ? await ReadFileAsync(uri.LocalPath, cancellationToken).ConfigureAwait(false)
                    : await ReadHttpAsync(http(), uri, cancellationToken).ConfigureAwait(false);
                if (signature is null)
                {
                    break;
                }

                signatures.Add(signature);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or HttpRequestException or InvalidDataException
                || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return new FetchedSignatures<byte[]>(signatures, location, $"reading {uri} failed: {ex.Message}");
            }
        }

        return new FetchedSignatures<byte[]>(signatures, location);
    }

    private static async Task<byte[]?> ReadFileAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: true);
        if (file.Length > MaxSignatureSize)
        {
            throw new InvalidDataException($"the signature is {file.Length} bytes, over the limit of {MaxSignatureSize}");
        }

        var bytes = new byte[file.Length];
        await file.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
        return bytes;
    }

    private static async Task<byte[]?> ReadHttpAsync(HttpClient http, Uri uri, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"the server answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxSignatureSize)
            {
                throw new InvalidDataException($"the signature exceeds the limit of {MaxSignatureSize} bytes");
            }

            await buffer.WriteAsync(chunk.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }

        return buffer.ToArray();
    }
}
