using GuestPull.Oci.Model;

namespace GuestPull.Install.Containerd;

/// <summary>
/// Finds which of containerd's images are unpacked on the host, the way containerd itself decides it
/// (an image is unpacked for a snapshotter when the ChainID of its config's last DiffID is a snapshot
/// there), and which lack layer blobs in the content store. Reads only, through containerd's Images,
/// Content and Snapshots services.
/// </summary>
internal static class HostImageScanner
{
    // Manifests are at most 4 MiB (the distribution spec); configs of real images are far below 8 MiB.
    private const int MaxDocumentBytes = 8 * 1024 * 1024;

    /// <summary>Every image of <paramref name="containerdNamespace"/>, with its state for <paramref name="hostSnapshotter"/>.</summary>
    public static async Task<IReadOnlyList<HostImage>> ScanAsync(
        ContainerdClient client, string containerdNamespace, string hostSnapshotter, CancellationToken cancellationToken)
    {
        var records = await client.ListImageRecordsAsync(containerdNamespace, cancellationToken).ConfigureAwait(false);
        var images = new List<HostImage>();
        foreach (var group in records.GroupBy(record => record.TargetDigest, StringComparer.Ordinal))
        {
            var (unpacked, lacksBlobs) = await InspectAsync(client, containerdNamespace, hostSnapshotter, group.First(), cancellationToken).ConfigureAwait(false);
            // One entry per repository that names the content (two repositories may hold the same manifest);
            // CRI's bare ID only stands for the image when no reference is left.
            var references = group.Where(record => !IsId(record.Name)).ToList();
            var byRepository = references.Count > 0
                ? references.GroupBy(record => HostImagePurger.Repository(record.Name), StringComparer.Ordinal).Select(names => names.Select(record => record.Name))
                : [group.Select(record => record.Name)];
            images.AddRange(byRepository.Select(names => new HostImage([.. names.OrderBy(NameRank).ThenBy(name => name, StringComparer.Ordinal)], unpacked, lacksBlobs)));
        }
        return [.. images.OrderBy(image => image.Name, StringComparer.Ordinal)];
    }

    private static bool IsId(string name) => name.StartsWith("sha256:", StringComparison.Ordinal);

    // A tag reference reads best, then a digest reference, then CRI's bare sha256: image ID.
    private static int NameRank(string name) =>
        IsId(name) ? 2 : name.Contains('@', StringComparison.Ordinal) ? 1 : 0;

    private static async Task<(bool Unpacked, bool LacksBlobs)> InspectAsync(
        ContainerdClient client, string containerdNamespace, string hostSnapshotter, ContainerdImage record, CancellationToken cancellationToken)
    {
        ImageManifest? manifest;
        ImageConfig config;
        try
        {
            manifest = await ReadManifestAsync(client, containerdNamespace, record, cancellationToken).ConfigureAwait(false);
            if (manifest is null)
            {
                return (false, true);
            }
            var configBytes = await client.ReadContentAsync(containerdNamespace, manifest.Config.Digest.ToString(), MaxDocumentBytes, cancellationToken).ConfigureAwait(false);
            if (configBytes is null)
            {
                return (false, true);
            }
            config = ImageConfig.Parse(configBytes);
        }
        catch (Exception ex) when (ex is OciFormatException or UnsupportedManifestException or PlatformNotFoundException)
        {
            // Not an image this node can run (another platform, an artifact, schema 1): no pod of it runs here.
            return (false, false);
        }

        var unpacked = config.DiffIds.Count > 0 &&
            await client.HasSnapshotAsync(containerdNamespace, hostSnapshotter, LayerChain.ChainIds(config.DiffIds)[^1].ToString(), cancellationToken).ConfigureAwait(false);
        foreach (var layer in manifest.Layers)
        {
            if (!await client.HasContentAsync(containerdNamespace, layer.Digest.ToString(), cancellationToken).ConfigureAwait(false))
            {
                return (unpacked, true);
            }
        }
        return (unpacked, false);
    }

    /// <summary>The image manifest for this node's platform (an index is followed); null when a blob on the way is missing.</summary>
    private static async Task<ImageManifest?> ReadManifestAsync(ContainerdClient client, string containerdNamespace, ContainerdImage record, CancellationToken cancellationToken)
    {
        var (digest, mediaType) = (record.TargetDigest, record.TargetMediaType);
        // An index may name another index (nested indexes are allowed); two levels cover what registries serve.
        for (var depth = 0; depth < 3; depth++)
        {
            var bytes = await client.ReadContentAsync(containerdNamespace, digest, MaxDocumentBytes, cancellationToken).ConfigureAwait(false);
            if (bytes is null)
            {
                return null;
            }
            var document = ManifestParser.Parse(bytes, mediaType);
            if (document.Manifest is { } manifest)
            {
                return manifest;
            }
            var entry = document.Index!.SelectPlatform(Platform.Current);
            (digest, mediaType) = (entry.Digest.ToString(), entry.MediaType);
        }
        throw new OciFormatException($"image {record.Name}: indexes nested more than three deep");
    }
}
