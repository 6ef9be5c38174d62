using System.IO.Compression;
using System.Runtime.Versioning;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuestPull.Testing;

namespace GuestPull.Bench.Common.Image;

/// <summary>
/// Builds the benchmark image once and keeps it under the cache directory: a debootstrap minbase
/// bookworm root as the base layer, then layers made with umoci unpack/repack that copy trees
/// around, add many small files, add incompressible data and delete things.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class BenchImageBuilder
{
    /// <summary>The image's tag in the cached layout.</summary>
    public const string Tag = "bench";
    private const string ImageVersion = "image-v1";
    private const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private const long MinimumUncompressedBytes = 200L * 1000 * 1000;
    private const int MinimumLayers = 4;
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(30);
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private readonly string _cacheDirectory;
    private readonly string _mirror;
    private readonly TextWriter _log;

    /// <summary>A builder caching under <paramref name="cacheDirectory"/>, running debootstrap against <paramref name="mirror"/>, logging progress to <paramref name="log"/>.</summary>
    public BenchImageBuilder(string cacheDirectory, string mirror, TextWriter log)
    {
        _cacheDirectory = Path.GetFullPath(cacheDirectory);
        _mirror = mirror;
        _log = log;
    }

    private string ImageDirectory => Path.Combine(_cacheDirectory, ImageVersion);

    private string ManifestPath => Path.Combine(ImageDirectory, "image.json");

    private string DebootstrapDirectory => Path.Combine(_cacheDirectory, "debootstrap");

    /// <summary>
    /// Returns the cached image, building whatever is missing; <paramref name="rebuild"/> drops the
    /// cached layout (not the debootstrap root) first.
    /// </summary>
    public async Task<BenchImage> EnsureAsync(bool rebuild, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_cacheDirectory);
        if (rebuild && Directory.Exists(ImageDirectory))
        {
            Directory.Delete(ImageDirectory, recursive: true);
        }

        if (File.Exists(ManifestPath))
        {
            var cached = JsonSerializer.Deserialize<BenchImage>(await File.ReadAllTextAsync(ManifestPath, cancellationToken).ConfigureAwait(false), JsonOptions);
            if (cached is not null && File.Exists(Path.Combine(cached.LayoutDirectory, "index.json")))
            {
                await _log.WriteLineAsync($"image: cached in {cached.LayoutDirectory}").ConfigureAwait(false);
                return cached;
            }
        }

        await EnsureDebootstrapAsync(cancellationToken).ConfigureAwait(false);
        var image = await BuildAsync(cancellationToken).ConfigureAwait(false);
        if (image.Layers.Count < MinimumLayers || image.UncompressedBytes < MinimumUncompressedBytes)
        {
            throw new InvalidOperationException(
                $"The benchmark image has {image.Layers.Count} layers and {image.UncompressedBytes} bytes uncompressed; it needs at least {MinimumLayers} layers and {MinimumUncompressedBytes} bytes.");
        }

        return image;
    }

    private async Task EnsureDebootstrapAsync(CancellationToken cancellationToken)
    {
        if (Directory.Exists(DebootstrapDirectory))
        {
            return;
        }

        var temporary = DebootstrapDirectory + ".tmp";
        if (Directory.Exists(temporary))
        {
            Directory.Delete(temporary, recursive: true);
        }

        await _log.WriteLineAsync($"image: debootstrap --variant=minbase bookworm from {_mirror} (once; takes a few minutes)").ConfigureAwait(false);
        try
        {
            await RunAsync("debootstrap", ["--variant=minbase", "bookworm", temporary, _mirror], cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("could not be started", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("debootstrap is not installed; run `apt-get install debootstrap`.", e);
        }

        Directory.Move(temporary, DebootstrapDirectory);
    }

    private async Task<BenchImage> BuildAsync(CancellationToken cancellationToken)
    {
        var work = ImageDirectory + ".tmp";
        if (Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }

        Directory.CreateDirectory(work);
        var layout = Path.Combine(work, "layout");
        var bundle = Path.Combine(work, "bundle");
        var rootfs = Path.Combine(bundle, "rootfs");
        var image = $"{layout}:{Tag}";
        await RunAsync("umoci", ["init", "--layout", layout], cancellationToken).ConfigureAwait(false);
        await RunAsync("umoci", ["new", "--image", image], cancellationToken).ConfigureAwait(false);
        await RunAsync("umoci", ["unpack", "--image", image, bundle], cancellationToken).ConfigureAwait(false);

        var descriptions = new List<string>();
        async Task RepackAsync(string description)
        {
            await _log.WriteLineAsync($"image: layer {descriptions.Count + 1}: {description}").ConfigureAwait(false);
            await RunAsync("umoci", ["repack", "--refresh-bundle", "--history.created_by", $"bench: {description}", "--image", image, bundle], cancellationToken).ConfigureAwait(false);
            descriptions.Add(description);
        }

        await RunAsync("cp", ["-a", DebootstrapDirectory + "/.", rootfs + "/"], cancellationToken).ConfigureAwait(false);
        await RepackAsync("debootstrap --variant=minbase bookworm").ConfigureAwait(false);

        Directory.CreateDirectory(Path.Combine(rootfs, "opt", "copy"));
        await RunAsync("cp", ["-a", Path.Combine(rootfs, "usr", "share"), Path.Combine(rootfs, "opt", "copy", "share")], cancellationToken).ConfigureAwait(false);
        await RunAsync("cp", ["-a", Path.Combine(rootfs, "usr", "lib"), Path.Combine(rootfs, "opt", "copy", "lib")], cancellationToken).ConfigureAwait(false);
        await RepackAsync("/usr/share and /usr/lib copied to /opt/copy").ConfigureAwait(false);

        await SyntheticContent.WriteSmallFilesAsync(Path.Combine(rootfs, "srv", "small"), cancellationToken).ConfigureAwait(false);
        await RepackAsync("20,000 small text files, symlinks and hardlinks under /srv/small").ConfigureAwait(false);

        await SyntheticContent.WriteIncompressibleAsync(Path.Combine(rootfs, "opt", "app"), cancellationToken).ConfigureAwait(false);
        await RepackAsync("48 MB of incompressible data under /opt/app").ConfigureAwait(false);

        SyntheticContent.DeleteAndReplace(rootfs);
        await RepackAsync("deletions (/usr/share/doc, /opt/copy/share/locale, small-file dirs), a replaced dir, edited files").ConfigureAwait(false);

        await RunAsync("umoci", ["config", "--image", image, "--config.cmd", "/bin/bash", "--config.env", DefaultPath, "--config.workingdir", "/"], cancellationToken).ConfigureAwait(false);
        await RunAsync("umoci", ["gc", "--layout", layout], cancellationToken).ConfigureAwait(false);
        Directory.Delete(bundle, recursive: true);

        Directory.CreateDirectory(ImageDirectory);
        var finalLayout = Path.Combine(ImageDirectory, "layout");
        if (Directory.Exists(finalLayout))
        {
            Directory.Delete(finalLayout, recursive: true);
        }

        Directory.Move(layout, finalLayout);
        Directory.Delete(work, recursive: true);
        var result = new BenchImage(finalLayout, Tag, await DescribeLayersAsync(finalLayout, descriptions, cancellationToken).ConfigureAwait(false));
        // Written last: its presence marks a complete cache.
        await File.WriteAllTextAsync(ManifestPath, JsonSerializer.Serialize(result, JsonOptions), cancellationToken).ConfigureAwait(false);
        return result;
    }

    private static async Task<List<LayerInfo>> DescribeLayersAsync(string layout, List<string> descriptions, CancellationToken cancellationToken)
    {
        var manifest = JsonNode.Parse(ImageBuilder.ReadBlob(layout, ImageBuilder.GetDigest(layout, Tag)))!;
        var layers = new List<LayerInfo>();
        var index = 0;
        foreach (var layer in manifest["layers"]!.AsArray())
        {
            var digest = (string)layer!["digest"]!;
            var mediaType = (string)layer["mediaType"]!;
            var blob = Path.Combine(layout, "blobs", "sha256", digest["sha256:".Length..]);
            long uncompressed;
            await using (var file = File.OpenRead(blob))
            await using (var gzip = new GZipStream(file, CompressionMode.Decompress))
            {
                uncompressed = await CountAsync(gzip, cancellationToken).ConfigureAwait(false);
            }

            layers.Add(new LayerInfo(digest, mediaType, (long)layer["size"]!, uncompressed, index < descriptions.Count ? descriptions[index] : string.Empty));
            index++;
        }

        return layers;
    }

    private static async Task<long> CountAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
        }

        return total;
    }

    private static Task<ProcessResult> RunAsync(string tool, IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync(tool, arguments, new ProcessRunOptions { Timeout = ToolTimeout }, cancellationToken);
}
