using System.Text.Json;
using GuestPull.Ttrpc;

namespace GuestPull.Agent.Storage;

/// <summary>Checks a request's storages: none (the host shared the rootfs) or exactly one, of driver <c>image_guest_pull</c> (docs/contracts.md, section 5).</summary>
internal static class StorageParser
{
    public const string GuestPullDriver = "image_guest_pull";
    private const string DriverOptionPrefix = GuestPullDriver + "=";

    /// <summary>The request's guest-pull storage, or null when it has none (a rootfs the host shared).</summary>
    public static GuestPullStorage? Parse(IReadOnlyList<Api.Agent.V1.Storage> storages)
    {
        if (storages.Count == 0)
        {
            return null;
        }

        foreach (var storage in storages)
        {
            if (storage.Driver != GuestPullDriver)
            {
                throw Invalid($"unsupported storage driver \"{storage.Driver}\" (mount point \"{storage.MountPoint}\"): this agent handles only \"{GuestPullDriver}\"");
            }
        }

        if (storages.Count != 1)
        {
            throw Invalid(storages.Count == 0
                ? $"no storage with driver \"{GuestPullDriver}\": the agent has nothing to make the container's rootfs from"
                : $"{storages.Count} storages with driver \"{GuestPullDriver}\": a container has exactly one rootfs");
        }

        var only = storages[0];
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var option in only.DriverOptions)
        {
            if (option.StartsWith(DriverOptionPrefix, StringComparison.Ordinal))
            {
                metadata = ParseMetadata(option[DriverOptionPrefix.Length..]);
            }
        }

        return new GuestPullStorage(only.Source.Trim(), metadata, only.MountPoint);
    }

    private static Dictionary<string, string> ParseMetadata(string json)
    {
        const string Option = "driver option \"image_guest_pull\"";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw Invalid($"{Option} is not valid JSON: {ex.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid($"{Option} must be a JSON object like {{\"metadata\":{{...}}}}, got {document.RootElement.ValueKind}");
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (!document.RootElement.TryGetProperty("metadata", out var map) || map.ValueKind == JsonValueKind.Null)
            {
                return metadata;
            }

            if (map.ValueKind != JsonValueKind.Object)
            {
                throw Invalid($"{Option}: \"metadata\" must be an object of strings, got {map.ValueKind}");
            }

            foreach (var entry in map.EnumerateObject())
            {
                metadata[entry.Name] = entry.Value.ValueKind == JsonValueKind.String
                    ? entry.Value.GetString()!
                    : throw Invalid($"{Option}: metadata \"{entry.Name}\" must be a string, got {entry.Value.ValueKind}");
            }

            return metadata;
        }
    }

    private static TtrpcException Invalid(string message) => new(TtrpcStatusCode.InvalidArgument, message);
}
