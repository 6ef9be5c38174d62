using System.Text.Json;
using System.Text.Json.Nodes;
using GuestPull.Api.Cri;

namespace GuestPull.Shim.Daemon;

/// <summary>Which pod a container belongs to: CRI's sandbox-id annotation (containerd's or CRI-O's), else the container itself.</summary>
internal static class PodGrouping
{
    public static string GroupOf(string containerId, JsonObject? spec) =>
        CriAnnotations.First(key => Annotation(spec, key), CriAnnotations.SandboxIdKeys) ?? containerId;

    public static string? Annotation(JsonObject? spec, string key) =>
        spec?["annotations"] is JsonObject annotations && annotations[key] is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : null;

    public static bool IsSandboxContainer(JsonObject spec) => CriAnnotations.IsSandbox(key => Annotation(spec, key));

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
