using System.Text.Json;

namespace GuestPull.Install.GuestImage;

/// <summary>
/// The guest image's <c>manifest.json</c> as scripts/build-guest.sh writes it: the kernel package it came
/// from and, under <c>outputs</c>, the SHA-256 of each file the VM boots. Only what install and doctor
/// use is read; the per-file list of the initramfs is left to whoever rebuilds the image.
/// </summary>
/// <param name="KernelPackage">The Debian kernel package, or null when the manifest does not say.</param>
/// <param name="KernelVersion">That package's version, or null.</param>
/// <param name="Outputs">File name in the image directory → lower-case hex SHA-256.</param>
internal sealed record GuestImageManifest(string? KernelPackage, string? KernelVersion, IReadOnlyDictionary<string, string> Outputs)
{
    /// <summary>The kernel in words for reports: "linux-image-… 6.1.176-1", or "kernel of unknown origin".</summary>
    public string KernelDescription => (KernelPackage, KernelVersion) switch
    {
        ({ } package, { } version) => $"{package} {version}",
        ({ } package, null) => package,
        _ => "kernel of unknown origin",
    };

    /// <summary>Parses the manifest's bytes.</summary>
    /// <exception cref="InvalidDataException">Not JSON, or <c>outputs</c> missing or malformed; the message says what (without the file name).</exception>
    public static GuestImageManifest Parse(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"not valid JSON ({ex.Message})", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException("not a JSON object");
            }

            string? package = null, version = null;
            if (root.TryGetProperty("kernel", out var kernel) && kernel.ValueKind == JsonValueKind.Object)
            {
                package = StringOrNull(kernel, "package");
                version = StringOrNull(kernel, "version");
            }

            if (!root.TryGetProperty("outputs", out var outputs) || outputs.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException("no \"outputs\" object with the SHA-256 of each file");
            }

            var digests = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var output in outputs.EnumerateObject())
            {
                // The names become paths in the image directory: only plain file names may.
                if (output.Name.Length == 0 || output.Name is "." or ".." || output.Name.Contains('/', StringComparison.Ordinal))
                {
                    throw new InvalidDataException($"outputs: \"{output.Name}\" is not a file name");
                }

                var digest = output.Value.ValueKind == JsonValueKind.String ? output.Value.GetString()! : string.Empty;
                if (digest.Length != 64 || !digest.All(char.IsAsciiHexDigitLower))
                {
                    throw new InvalidDataException($"outputs.{output.Name}: expected 64 lower-case hex digits (a SHA-256), got {output.Value.GetRawText()}");
                }

                digests[output.Name] = digest;
            }

            return new GuestImageManifest(package, version, digests);
        }
    }

    private static string? StringOrNull(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;
}
