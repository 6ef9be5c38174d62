using System.Security.Cryptography;
using GuestPull.Configuration.Sandbox;

namespace GuestPull.Install.GuestImage;

/// <summary>
/// Checks a guest image directory (<see cref="GuestImageLayout"/>) against its <c>manifest.json</c>: the
/// kernel and initramfs are tens of megabytes copied around by install, and a truncated one would only
/// show up as a VM that never boots, so install and doctor compare their SHA-256 with the manifest's.
/// </summary>
internal static class GuestImageVerifier
{
    /// <summary>Verifies <paramref name="layout"/>.</summary>
    /// <param name="layout">The image directory.</param>
    /// <param name="fileNames">The files to verify (names in the directory); null: every output the manifest lists.
    /// The kernel and initramfs must be listed either way, since those are what the VM boots.</param>
    /// <param name="cancellationToken">Stops the hashing.</param>
    public static async Task<GuestImageVerification> VerifyAsync(GuestImageLayout layout, IReadOnlyCollection<string>? fileNames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var manifestName = Path.GetFileName(layout.Manifest);
        GuestImageManifest manifest;
        try
        {
            manifest = GuestImageManifest.Parse(await File.ReadAllBytesAsync(layout.Manifest, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return new GuestImageVerification(null, [$"{manifestName} is missing, so the kernel and initramfs cannot be checked"]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return new GuestImageVerification(null, [$"{manifestName}: {ex.Message}"]);
        }

        var problems = new List<string>();
        var bootFiles = new[] { Path.GetFileName(layout.Kernel), Path.GetFileName(layout.Initramfs) };
        var wanted = fileNames ?? [.. bootFiles.Union(manifest.Outputs.Keys, StringComparer.Ordinal)];
        foreach (var name in wanted)
        {
            if (!manifest.Outputs.TryGetValue(name, out var expected))
            {
                problems.Add($"{manifestName} records no SHA-256 for {name}");
                continue;
            }

            var path = Path.Combine(layout.Directory, name);
            string actual;
            try
            {
                actual = await Sha256Async(path, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                problems.Add($"{name} is missing ({manifestName} records sha256 {expected})");
                continue;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                problems.Add($"{name} cannot be read: {ex.Message}");
                continue;
            }

            if (actual != expected)
            {
                problems.Add($"{name} has sha256 {actual}, but {manifestName} records {expected}");
            }
        }

        return new GuestImageVerification(manifest, problems);
    }

    /// <summary>The lower-case hex SHA-256 of a file's content.</summary>
    public static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        }
    }
}
