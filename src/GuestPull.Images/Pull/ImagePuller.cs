using System.Buffers;
using GuestPull.Images.Signatures;
using GuestPull.Images.Store;
using GuestPull.Linux;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using GuestPull.Ocicrypt;
using GuestPull.Unpack;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestPull.Images.Pull;

/// <summary>
/// Pulls an image into a <see cref="LayerStore"/>. Each missing layer is streamed in one pass,
/// network → size and digest check → decompression → DiffID hash → tar applied into a fresh
/// temporary directory; only when both digests verify is the directory committed to the store,
/// and any failure deletes it. Layers run in parallel, and a layer already in the store, or being
/// pulled by another pull (in this process or another), is not downloaded again.
/// </summary>
public sealed class ImagePuller
{
    private readonly RegistryClient _registry;
    private readonly LayerStore _store;
    private readonly ImagePullOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates a puller.</summary>
    public ImagePuller(RegistryClient registry, LayerStore store, ImagePullOptions? options = null, ILogger<ImagePuller>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(store);
        _registry = registry;
        _store = store;
        _options = options ?? new ImagePullOptions();
        if (_options.MaxConcurrentLayers < 1)
        {
            throw new ArgumentException("the layer concurrency must be at least 1", nameof(options));
        }

        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Pulls <paramref name="reference"/> for <paramref name="platform"/> (this machine's when null).</summary>
    /// <param name="reference">The image.</param>
    /// <param name="platform">The platform to pick from an index.</param>
    /// <param name="progress">Receives per-layer progress; may be called from several threads.</param>
    /// <param name="cancellationToken">Cancels the pull; partial layers are removed.</param>
    /// <exception cref="PolicyRejectedException">The signature policy refused the image; nothing was downloaded.</exception>
    public async Task<PulledImage> PullAsync(ImageReference reference, Platform? platform, Action<LayerPullProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var image = await _registry.ResolveImageAsync(reference, platform, cancellationToken).ConfigureAwait(false);

        // The policy judges the very documents this pull uses (no second fetch a moved tag could
        // change), under the name asked for, and before the store is even asked about layers, so a
        // rejected image is rejected the same way whether or not its layers are cached.
        PolicyDecision? decision = null;
        if (_options.Policy is { } policy)
        {
            decision = await policy.EnforceAsync(reference, image.Index, image.ManifestDocument, cancellationToken).ConfigureAwait(false);
        }

        var layers = image.LayersWithDiffIds.ToList();
        var keys = await EncryptedLayerKeys.UnwrapAsync(reference, layers.Select(l => l.Item1).ToList(), _options.Decryption, cancellationToken).ConfigureAwait(false);

        var downloaded = 0;
        var cached = 0;
        using var slots = new SemaphoreSlim(_options.MaxConcurrentLayers);
        using var failFast = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = layers.Select(async (entry, index) =>
        {
            var (layer, diffId) = entry;
            var key = keys[index];
            progress?.Invoke(new LayerPullProgress(index, layer, LayerPullState.Waiting, 0));
            try
            {
                if (await _store.IsLayerUsableAsync(diffId, key?.Options.KeyCheck, failFast.Token).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref cached);
                    progress?.Invoke(new LayerPullProgress(index, layer, LayerPullState.Cached, layer.Size));
                    return;
                }

                await slots.WaitAsync(failFast.Token).ConfigureAwait(false);
                try
                {
                    var fetched = await _store.Downloads.RunOnceAsync(
                        diffId,
                        ct => FetchLayerFallingBackAsync(reference, index, layer, diffId, key, progress, ct),
                        failFast.Token).ConfigureAwait(false);
                    if (!fetched && !await _store.IsLayerUsableAsync(diffId, key?.Options.KeyCheck, failFast.Token).ConfigureAwait(false))
                    {
                        // Another pull committed the layer, but it came from an encrypted blob whose key this
                        // pull has not shown: fetch and verify it here rather than share the other's result.
                        fetched = await FetchLayerFallingBackAsync(reference, index, layer, diffId, key, progress, failFast.Token).ConfigureAwait(false);
                    }

                    if (fetched)
                    {
                        Interlocked.Increment(ref downloaded);
                    }
                    else
                    {
                        Interlocked.Increment(ref cached);
                    }
                }
                finally
                {
                    slots.Release();
                }

                progress?.Invoke(new LayerPullProgress(index, layer, LayerPullState.Done, layer.Size));
            }
            catch
            {
                progress?.Invoke(new LayerPullProgress(index, layer, LayerPullState.Failed, 0));
                await failFast.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }).ToList();

        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // One layer failed and cancelled its siblings: report the layer's own error, not a cancellation.
            var first = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault();
            if (first is not null)
            {
                throw first.Rethrow();
            }

            throw;
        }

        var layerDirectories = image.Config.DiffIds.Select(_store.LayerPath).ToList();
        VerifyLowerLayerLinks(reference, layers, layerDirectories);
        var record = new ImageRecord
        {
            Reference = reference.ToString(),
            ManifestDigest = image.ManifestDocument.Digest,
            IndexDigest = image.Index?.Digest,
            ConfigDigest = image.Manifest.Config.Digest,
            Platform = image.Config.Platform.ToString(),
            ConfigJson = System.Text.Encoding.UTF8.GetString(image.ConfigBytes.Span),
            DiffIds = image.Config.DiffIds,
        };
        await _store.RecordImageAsync(record, cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("pulled {Reference} ({Digest}): {Downloaded} layers downloaded, {Cached} cached", reference, image.ManifestDocument.Digest, downloaded, cached);
        return new PulledImage
        {
            Image = image,
            Record = record,
            LayerDirectories = layerDirectories,
            LayersDownloaded = downloaded,
            LayersCached = cached,
            PolicyDecision = decision,
        };
    }

    /// <summary>
    /// A mirror is untrusted (a node cache, a peer): a copy that fails verification there, or breaks
    /// off, is discarded and the layer fetched once more from the registry itself.
    /// </summary>
    private async Task<bool> FetchLayerFallingBackAsync(ImageReference reference, int index, Descriptor layer, Digest diffId, UnwrappedLayerKey? key, Action<LayerPullProgress>? progress, CancellationToken cancellationToken)
    {
        if (!_registry.HasBlobMirrors(reference))
        {
            return await FetchLayerAsync(reference, index, layer, diffId, key, fromRegistryOnly: false, progress, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await FetchLayerAsync(reference, index, layer, diffId, key, fromRegistryOnly: false, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException ex) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("layer {Digest} of {Reference}: the copy from a mirror failed ({Error}); fetching it from the registry itself", layer.Digest, reference, ex.Message);
            return await FetchLayerAsync(reference, index, layer, diffId, key, fromRegistryOnly: true, progress, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <returns>True when this call downloaded the layer; false when it appeared in the store meanwhile.</returns>
    private async Task<bool> FetchLayerAsync(ImageReference reference, int index, Descriptor layer, Digest diffId, UnwrappedLayerKey? key, bool fromRegistryOnly, Action<LayerPullProgress>? progress, CancellationToken cancellationToken)
    {
        // Another process may have committed the layer while this one waited for its lock.
        if (await _store.IsLayerUsableAsync(diffId, key?.Options.KeyCheck, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        progress?.Invoke(new LayerPullProgress(index, layer, LayerPullState.Downloading, 0));
        var temp = _store.CreateTempLayerDirectory();
        try
        {
            var maxLayerSize = _options.MaxLayerSize ?? Math.Max(1, FileSystemCalls.AvailableBytes(temp));
            LayerApplyResult result;
            var blob = fromRegistryOnly
                ? await _registry.OpenBlobFromRegistryAsync(reference, layer, cancellationToken).ConfigureAwait(false)
                : await _registry.OpenBlobAsync(reference, layer, cancellationToken).ConfigureAwait(false);
            await using (var counted = new ProgressReportingStream(blob, bytes => progress?.Invoke(new LayerPullProgress(index, layer, LayerPullState.Downloading, bytes))))
            // Decryption is the stage an encrypted layer adds; read ahead, it runs beside the unpack
            // instead of before it on the same thread. A plain layer gained nothing from it in
            // bench/pull (download and digest are cheap beside gunzip and untar), so it reads directly.
            await using (Stream source = key is null ? counted : new ReadAheadStream(key.OpenDecryptingStream(counted, leaveOpen: true)))
            {
                try
                {
                    // The digest is the encrypted blob's (checked under the decryption, in counted's source);
                    // the HMAC is checked when source reaches its end.
                    result = await LayerApplier.ApplyCompressedAsync(
                        source,
                        EncryptedMediaTypes.Decrypted(layer.MediaType),
                        temp,
                        new LayerApplyOptions
                        {
                            WhiteoutMode = WhiteoutMode.Overlay,
                            MaxLayerSize = maxLayerSize,
                            DrainTrailingData = true,
                            Warning = w => _logger.LogWarning("layer {Digest}: {Warning}", layer.Digest, w),
                        },
                        cancellationToken).ConfigureAwait(false);
                }
                catch (LayerDecryptionException ex)
                {
                    // A decompressor that reads to the end of the ciphertext (zstd does) meets the HMAC
                    // check itself, inside the unpack rather than in the drain below.
                    throw new LayerPullException($"layer {layer.Digest} of {reference}: {ex.Message}", ex);
                }
                catch (LayerTooLargeException ex)
                {
                    var bound = _options.MaxLayerSize is null
                        ? "the free space of the layer store's file system when the layer started; set a maximum layer size to allow more"
                        : "the configured maximum layer size";
                    throw new LayerPullException($"layer {layer.Digest} of {reference}: the uncompressed layer exceeds {ex.MaxLayerSize} bytes ({bound})", ex);
                }
                catch (IOException ex)
                {
                    // Writing the layer failed (ENOSPC, EIO...): the entry is in the message, the layer is not.
                    throw new LayerPullException($"layer {layer.Digest} of {reference}: {ex.Message}", ex);
                }
                catch (Exception ex) when (ex is InvalidLayerException or InvalidDataException)
                {
                    // A blob altered in transit or at rest usually breaks decompression before its digest
                    // can be checked; reading the rest tells which it was, and the digest is the root cause.
                    await DrainDecryptedAsync(source, layer, reference, cancellationToken).ConfigureAwait(false);
                    throw new LayerPullException($"layer {layer.Digest} of {reference}: {ex.Message}", ex);
                }

                // Read the compressed stream to its end: that is where its size and digest are checked,
                // and a decompressor may stop before the last bytes (padding, a second gzip member).
                // For an encrypted layer, that end is also where the HMAC is checked.
                await DrainDecryptedAsync(source, layer, reference, cancellationToken).ConfigureAwait(false);
            }

            if (result.DiffId != diffId.ToString())
            {
                throw new ContentVerificationException($"layer {layer.Digest} of {reference}: DiffID mismatch: the image config says {diffId}, the uncompressed content hashes to {result.DiffId}");
            }

            if (!ImplicitDirectoryMarker.Write(temp, result))
            {
                _logger.LogWarning("layer {Digest}: {Count} parent directories without entries; only the first fit the record, the rest keep default attributes in bundles", layer.Digest, result.ImplicitDirectories.Count);
            }

            await _store.CommitLayerAsync(temp, diffId, layer.Digest, layer.MediaType, result.Bytes, key?.Options.KeyCheck, cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("layer {Digest}: {Size} bytes, {Files} files, unpacked as {DiffId}", layer.Digest, layer.Size, result.Files, diffId);
            return true;
        }
        catch
        {
            _store.AbortLayer(temp);
            throw;
        }
    }

    /// <summary>
    /// A layer's hard links into the layers below it are kept as placeholders in its own directory,
    /// which other images may share; whether they resolve depends on this image's layers. An image
    /// whose links lead nowhere is refused here, naming the layer and the entry, rather than when a
    /// container is created from it.
    /// </summary>
    private static void VerifyLowerLayerLinks(ImageReference reference, List<(Descriptor, Digest)> layers, List<string> layerDirectories)
    {
        if (!layerDirectories.Any(Bundles.LowerLayerLinkPlan.HasLinks))
        {
            return;
        }

        using var stack = Bundles.LayerStack.Open(layerDirectories);
        try
        {
            Bundles.LowerLayerLinkPlan.Resolve(stack);
        }
        catch (Bundles.LowerLayerLinkException e)
        {
            throw new LayerPullException($"layer {layers[e.Layer].Item1.Digest} of {reference}: {e.Message}", e);
        }
    }

    private static async Task DrainDecryptedAsync(Stream stream, Descriptor layer, ImageReference reference, CancellationToken cancellationToken)
    {
        try
        {
            await DrainAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        catch (LayerDecryptionException ex)
        {
            throw new LayerPullException($"layer {layer.Digest} of {reference}: {ex.Message}", ex);
        }
    }

    private static async Task DrainAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
