using System.Text;
using System.Text.Json;

namespace GuestPull.IntegrationTests.Cri;

/// <summary>What a pod may leave on the host: mounts, processes, files. The tests assert there is none after removal.</summary>
internal static class HostTraces
{
    public static IReadOnlyList<string> MountsUnder(string directory) => Linux.Mounts.MountPointsUnder(directory);

    /// <summary>Processes whose command line mentions <paramref name="text"/> (a sandbox id, a socket path).</summary>
    public static IReadOnlyList<string> ProcessesMentioning(string text)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (!int.TryParse(name, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var cmdline = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(dir, "cmdline"))).Replace('\0', ' ');
                if (cmdline.Contains(text, StringComparison.Ordinal))
                {
                    found.Add($"{pid}: {cmdline}");
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    /// <summary>Waits until <paramref name="probe"/> finds nothing (processes take a moment to be reaped); returns what is left.</summary>
    public static async Task<IReadOnlyList<string>> WaitUntilGoneAsync(Func<IReadOnlyList<string>> probe, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var left = probe();
            if (left.Count == 0 || DateTime.UtcNow > deadline)
            {
                return left;
            }

            await Task.Delay(250, cancellationToken).ConfigureAwait(false);
        }
    }

    public static IReadOnlyList<string> FilesUnder(string directory) =>
        Directory.Exists(directory)
            ? [.. Directory.EnumerateFiles(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })]
            : [];

    /// <summary>The layer digests of a tag in an OCI layout.</summary>
    public static IReadOnlyList<string> LayerDigests(string layout, string tag)
    {
        var manifest = Testing.ImageBuilder.ReadBlob(layout, Testing.ImageBuilder.GetDigest(layout, tag));
        using var document = JsonDocument.Parse(manifest);
        return [.. document.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!)];
    }
}
