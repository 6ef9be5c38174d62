using GuestPull.Linux;
using GuestPull.Oci.Model;
using Microsoft.Extensions.Logging;

namespace GuestPull.Images.Store;

/// <summary>Crash repair, run when the store is opened.</summary>
public sealed partial class LayerStore
{
    private async Task RepairAsync(bool fullRepair, CancellationToken cancellationToken)
    {
        var rows = (await ListLayersAsync(cancellationToken).ConfigureAwait(false)).Select(l => l.DiffId).ToHashSet();

        // Only a process alone with the store may delete work in progress: another process may be
        // unpacking into tmp/ or be between renaming a layer into place and writing its row.
        if (fullRepair)
        {
            foreach (var leftover in Directory.EnumerateFileSystemEntries(TempDirectory))
            {
                LogRemoved(_logger, leftover, "an unfinished layer unpack");
                TreeRemover.Delete(leftover);
            }

            foreach (var lockFile in Directory.EnumerateFiles(LocksDirectory))
            {
                File.Delete(lockFile);
            }

            foreach (var algorithmDirectory in Directory.EnumerateFileSystemEntries(LayersDirectory))
            {
                var algorithm = Path.GetFileName(algorithmDirectory);
                if (algorithm is not ("sha256" or "sha512"))
                {
                    LogRemoved(_logger, algorithmDirectory, "not a layer directory");
                    TreeRemover.Delete(algorithmDirectory);
                    continue;
                }

                foreach (var layerDirectory in Directory.EnumerateFileSystemEntries(algorithmDirectory))
                {
                    if (!Digest.TryParse(algorithm + ":" + Path.GetFileName(layerDirectory), out var diffId) || !rows.Contains(diffId))
                    {
                        LogRemoved(_logger, layerDirectory, "a layer directory without a database row");
                        TreeRemover.Delete(layerDirectory);
                    }
                }
            }
        }

        // A row always comes after its directory, so a row without one is safe to drop at any time
        // (with the images that can no longer be assembled).
        var missing = rows.Where(d => !IsRealDirectory(LayerPath(d))).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        foreach (var diffId in missing)
        {
            LogRemoved(_logger, LayerPath(diffId), "a database row whose layer directory is missing (and the images using it)");
        }

        await _database.DeleteLayersAndTheirImagesAsync(missing, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsRealDirectory(string path)
    {
        var info = new DirectoryInfo(path);
        return info.Exists && info.LinkTarget is null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Layer store repair: removed {Path} ({What})")]
    private static partial void LogRemoved(ILogger logger, string path, string what);
}
