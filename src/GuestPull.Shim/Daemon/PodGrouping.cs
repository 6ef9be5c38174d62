using System.Text.Json;
using System.Text.Json.Nodes;

namespace GuestPull.Shim.Daemon;

/// <summary>Which pod a container belongs to: CRI's sandbox-id annotation, else the container itself.</summary>
internal static class PodGrouping
{
    public const string SandboxIdAnnotation = "io.kubernetes.cri.sandbox-id";
    public const string ContainerTypeAnnotation = "io.kubernetes.cri.container-type";
    public const string ImageNameAnnotation = "io.kubernetes.cri.image-name";
    public const string CrioImageNameAnnotation = "io.kubernetes.cri-o.ImageName";

    public static string GroupOf(string containerId, JsonObject? spec)
    {
        var sandboxId = Annotation(spec, SandboxIdAnnotation);
        return string.IsNullOrEmpty(sandboxId) ? containerId : sandboxId;
    }

    public static string? Annotation(JsonObject? spec, string key) =>
        spec?["annotations"] is JsonObject annotations && annotations[key] is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : null;

    public static bool IsSandboxContainer(JsonObject spec) => Annotation(spec, ContainerTypeAnnotation) == "sandbox";

    /// <summary>Reads <c>config.json</c> of a bundle; null when the bundle or file is gone.</summary>
    public static async Task<JsonObject?> TryReadSpecAsync(string bundle, CancellationToken cancellationToken)
    {
        var path = Path.Combine(bundle, "config.json");
        if (!File.Exists(path))
        {
            return null;
        }

        return await ReadSpecAsync(path, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<JsonObject> ReadSpecAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            var stream = File.OpenRead(path);
            await using (stream.ConfigureAwait(false))
            {
                return await JsonNode.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false) as JsonObject
                    ?? throw new ShimException($"{path} is not a JSON object");
            }
        }
        catch (JsonException ex)
        {
            throw new ShimException($"{path} is not valid JSON: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ShimException($"cannot read the OCI spec {path}: {ex.Message}", ex);
        }
    }
}
