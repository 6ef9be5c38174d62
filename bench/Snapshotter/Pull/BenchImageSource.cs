using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuestPull.Testing;

namespace GuestPull.Bench.Snapshotter.Pull;

/// Finds an image of at least 200 MB (uncompressed) to pull: bench/pull's cached image when it is
/// there, else one built here once with umoci from copies of /usr/share and /usr/lib and kept in our
/// own cache. Both caches mark a complete image with an `image.json` written last.
internal sealed class BenchImageSource(string pullCacheDirectory, string ownCacheDirectory, bool buildOwn, TextWriter log)
{
    public const long MinimumUncompressedBytes = 200L * 1000 * 1000;
    private const string OwnTag = "bench";
    private const string OwnVersion = "image-v1";
    // File content per layer and in all: tar headers only add to it, so the image ends up above the minimum.
    private const long LayerContentBytes = 80L * 1000 * 1000;
    private const long TotalContentBytes = 210L * 1000 * 1000;
    private const long LargestEntryBytes = 60L * 1000 * 1000;
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(30);
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private string OwnImageDirectory => Path.Combine(ownCacheDirectory, OwnVersion);

    public async Task<BenchImage> EnsureAsync(CancellationToken cancellationToken)
    {
        if (!buildOwn)
        {
            foreach (var marker in PullCacheMarkers())
            {
                var reused = await TryReadAsync(marker, $"bench/pull's cache ({marker})", cancellationToken).ConfigureAwait(false);
                if (reused is not null)
                {
                    return reused;
                }
            }
        }

        var ownMarker = Path.Combine(OwnImageDirectory, "image.json");
        if (File.Exists(ownMarker))
        {
            var cached = await TryReadAsync(ownMarker, $"this benchmark's cache ({ownMarker})", cancellationToken).ConfigureAwait(false);
            if (cached is not null)
            {
                return cached;
            }
        }

        await BuildOwnAsync(cancellationToken).ConfigureAwait(false);
        return await TryReadAsync(ownMarker, $"this benchmark's cache ({ownMarker})", cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The image built in {OwnImageDirectory} is smaller than {MinimumUncompressedBytes} bytes uncompressed.");
    }

    // Newest first: bench/pull names its image directories image-v1, image-v2, ... as its recipe changes.
    private IEnumerable<string> PullCacheMarkers() =>
        Directory.Exists(pullCacheDirectory)
            ? Directory.EnumerateDirectories(pullCacheDirectory, "image-*")
                .Select(directory => Path.Combine(directory, "image.json"))
                .Where(File.Exists)
                .OrderByDescending(File.GetLastWriteTimeUtc)
            : [];

    /// Reads a cache marker (`layoutDirectory`, `tag`, `uncompressedBytes`); null when the layout is
    /// gone, unreadable or too small, so another source is tried.
    private async Task<BenchImage?> TryReadAsync(string markerPath, string source, CancellationToken cancellationToken)
    {
        try
        {
            var marker = JsonNode.Parse(await File.ReadAllTextAsync(markerPath, cancellationToken).ConfigureAwait(false))!;
            var layoutDirectory = (string?)marker["layoutDirectory"] ?? throw new InvalidDataException("no layoutDirectory");
            var tag = (string?)marker["tag"] ?? throw new InvalidDataException("no tag");
            var uncompressed = (long?)marker["uncompressedBytes"] ?? throw new InvalidDataException("no uncompressedBytes");
            var manifest = JsonNode.Parse(ImageBuilder.ReadBlob(layoutDirectory, ImageBuilder.GetDigest(layoutDirectory, tag)))!;
            var layers = manifest["layers"]!.AsArray();
            var digests = layers.Select(layer => (string)layer!["digest"]!).ToList();
            var compressed = layers.Sum(layer => (long)layer!["size"]!);
            if (uncompressed < MinimumUncompressedBytes)
            {
                await log.WriteLineAsync(Invariant($"image: {source} holds only {uncompressed} bytes uncompressed; not used")).ConfigureAwait(false);
                return null;
            }

            await log.WriteLineAsync(Invariant($"image: {layoutDirectory}:{tag} from {source}")).ConfigureAwait(false);
            return new BenchImage(layoutDirectory, tag, source, digests, compressed, uncompressed);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever is wrong with a cache (missing blob, odd JSON, a field of another type), the next source is tried.
            await log.WriteLineAsync($"image: {source} is unusable ({e.Message}); not used").ConfigureAwait(false);
            return null;
        }
    }

    private async Task BuildOwnAsync(CancellationToken cancellationToken)
    {
        var work = OwnImageDirectory + ".tmp";
        if (Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }

        Directory.CreateDirectory(work);
        var layout = Path.Combine(work, "layout");
        var bundle = Path.Combine(work, "bundle");
        var rootfs = Path.Combine(bundle, "rootfs");
        var image = $"{layout}:{OwnTag}";
        await log.WriteLineAsync(Invariant($"image: building one with umoci in {OwnImageDirectory} (once)")).ConfigureAwait(false);
        await RunAsync("umoci", ["init", "--layout", layout], cancellationToken).ConfigureAwait(false);
        await RunAsync("umoci", ["new", "--image", image], cancellationToken).ConfigureAwait(false);
        await RunAsync("umoci", ["unpack", "--image", image, bundle], cancellationToken).ConfigureAwait(false);

        long total = 0;
        long inLayer = 0;
        var layerNumber = 1;
        foreach (var entry in SourceEntries())
        {
            var size = ContentBytes(entry);
            if (size == 0 || size > LargestEntryBytes)
            {
                continue;
            }

            var destination = Path.Combine(rootfs, "opt", "usr-copy", Path.GetFileName(Path.GetDirectoryName(entry))!);
            Directory.CreateDirectory(destination);
            await RunAsync("cp", ["-a", entry, destination + "/"], cancellationToken).ConfigureAwait(false);
            total += size;
            inLayer += size;
            if (inLayer >= LayerContentBytes || total >= TotalContentBytes)
            {
                await log.WriteLineAsync(Invariant($"image: layer {layerNumber}: {inLayer / 1e6:F0} MB copied from /usr")).ConfigureAwait(false);
                await RunAsync("umoci", ["repack", "--refresh-bundle", "--history.created_by", Invariant($"bench: layer {layerNumber} copied from /usr"), "--image", image, bundle], cancellationToken).ConfigureAwait(false);
                layerNumber++;
                inLayer = 0;
            }

            if (total >= TotalContentBytes)
            {
                break;
            }
        }

        if (total < TotalContentBytes)
        {
            throw new InvalidOperationException(Invariant($"/usr/share and /usr/lib hold only {total} bytes in entries of at most {LargestEntryBytes} bytes; cannot build a {MinimumUncompressedBytes}-byte image."));
        }

        await RunAsync("umoci", ["config", "--image", image, "--config.cmd", "/bin/true"], cancellationToken).ConfigureAwait(false);
        await RunAsync("umoci", ["gc", "--layout", layout], cancellationToken).ConfigureAwait(false);
        Directory.Delete(bundle, recursive: true);

        var uncompressed = await UncompressedBytesAsync(layout, OwnTag, cancellationToken).ConfigureAwait(false);
        var finalLayout = Path.Combine(OwnImageDirectory, "layout");
        if (Directory.Exists(OwnImageDirectory))
        {
            Directory.Delete(OwnImageDirectory, recursive: true);
        }

        Directory.CreateDirectory(OwnImageDirectory);
        Directory.Move(layout, finalLayout);
        Directory.Delete(work, recursive: true);
        var marker = new JsonObject { ["layoutDirectory"] = finalLayout, ["tag"] = OwnTag, ["uncompressedBytes"] = uncompressed };
        // Written last: its presence marks a complete cache.
        await File.WriteAllTextAsync(Path.Combine(OwnImageDirectory, "image.json"), marker.ToJsonString(JsonOptions), cancellationToken).ConfigureAwait(false);
    }

    // Top-level entries of /usr/share then /usr/lib, in a stable order so every build is alike.
    private static IEnumerable<string> SourceEntries() =>
        new[] { "/usr/share", "/usr/lib" }
            .Where(Directory.Exists)
            .SelectMany(directory => Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal));

    // Bytes of regular files, symlinks not followed.
    private static long ContentBytes(string entry)
    {
        var info = new FileInfo(entry);
        if (info.LinkTarget is not null)
        {
            return 0;
        }

        if (!Directory.Exists(entry))
        {
            return info.Length;
        }

        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        return new DirectoryInfo(entry).EnumerateFiles("*", options).Sum(file => file.Length);
    }

    private static async Task<long> UncompressedBytesAsync(string layout, string tag, CancellationToken cancellationToken)
    {
        var manifest = JsonNode.Parse(ImageBuilder.ReadBlob(layout, ImageBuilder.GetDigest(layout, tag)))!;
        long total = 0;
        var buffer = new byte[1 << 20];
        foreach (var layer in manifest["layers"]!.AsArray())
        {
            var digest = (string)layer!["digest"]!;
            await using var file = File.OpenRead(Path.Combine(layout, "blobs", "sha256", digest["sha256:".Length..]));
            await using var gzip = new GZipStream(file, CompressionMode.Decompress);
            int read;
            while ((read = await gzip.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
            }
        }

        return total;
    }

    private static Task<ProcessResult> RunAsync(string tool, IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync(tool, arguments, new ProcessRunOptions { Timeout = ToolTimeout }, cancellationToken);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
