using System.Text.Json;

namespace GuestPull.Oci.Model;

/// <summary>The parts of an OCI/Docker image config that GuestPull uses to run and verify an image.</summary>
public sealed record ImageConfig
{
    /// <summary>The platform the image was built for.</summary>
    public required Platform Platform { get; init; }

    /// <summary>The user (<c>name</c>, <c>uid</c>, <c>uid:gid</c>, <c>name:group</c>), or null.</summary>
    public string? User { get; init; }

    /// <summary>Environment entries, <c>KEY=value</c>.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];

    /// <summary>The entrypoint, or null when the config has none.</summary>
    public IReadOnlyList<string>? Entrypoint { get; init; }

    /// <summary>The default command, or null when the config has none.</summary>
    public IReadOnlyList<string>? Cmd { get; init; }

    /// <summary>The working directory, or null.</summary>
    public string? WorkingDir { get; init; }

    /// <summary>Labels.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Exposed ports (<c>80/tcp</c>).</summary>
    public IReadOnlyList<string> ExposedPorts { get; init; } = [];

    /// <summary>Volumes.</summary>
    public IReadOnlyList<string> Volumes { get; init; } = [];

    /// <summary>The stop signal, or null.</summary>
    public string? StopSignal { get; init; }

    /// <summary>The DiffIDs (digests of the uncompressed layer tars), base first.</summary>
    public required IReadOnlyList<Digest> DiffIds { get; init; }

    /// <summary>The creation time as written, or null.</summary>
    public string? Created { get; init; }

    /// <summary>Parses and validates an image config.</summary>
    /// <exception cref="OciFormatException">The config is invalid; the message names the field.</exception>
    public static ImageConfig Parse(ReadOnlyMemory<byte> bytes)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException ex)
        {
            throw new OciFormatException($"image config is not valid JSON: {ex.Message}", ex);
        }

        using (json)
        {
            UndecodableJsonStrings.Refuse(bytes.Span, "image config");
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new OciFormatException("image config is not a JSON object");
            }

            DuplicateKeys.Refuse(root, "image config");

            const string where = "image config";
            var os = JsonFields.RequiredString(root, "os", where);
            var architecture = JsonFields.RequiredString(root, "architecture", where);
            if (os.Length == 0 || architecture.Length == 0)
            {
                throw new OciFormatException("image config: \"os\" and \"architecture\" must not be empty");
            }

            if (!root.TryGetProperty("rootfs", out var rootfs) || rootfs.ValueKind != JsonValueKind.Object)
            {
                throw new OciFormatException("image config: missing \"rootfs\"");
            }

            var rootfsType = JsonFields.RequiredString(rootfs, "type", "image config rootfs");
            if (rootfsType != "layers")
            {
                throw new OciFormatException($"image config: rootfs \"type\" must be \"layers\", found \"{rootfsType}\"");
            }

            var diffIds = JsonFields.RequiredArray(rootfs, "diff_ids", "image config rootfs")
                .Select((e, i) =>
                {
                    var text = e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new OciFormatException($"image config: rootfs diff_ids[{i}] must be a string");
                    try
                    {
                        return Digest.Parse(text);
                    }
                    catch (FormatException ex)
                    {
                        throw new OciFormatException($"image config: rootfs diff_ids[{i}]: {ex.Message}", ex);
                    }
                })
                .ToList();

            var config = root.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
            var hasConfig = config.ValueKind == JsonValueKind.Object;
            const string cw = "image config \"config\"";
            return new ImageConfig
            {
                Platform = new Platform(os, architecture, JsonFields.OptionalString(root, "variant", where)),
                Created = JsonFields.OptionalString(root, "created", where),
                DiffIds = diffIds,
                User = hasConfig ? NullIfEmpty(JsonFields.OptionalString(config, "User", cw)) : null,
                Env = hasConfig ? JsonFields.StringList(config, "Env", cw) : [],
                Entrypoint = hasConfig ? JsonFields.OptionalStringList(config, "Entrypoint", cw) : null,
                Cmd = hasConfig ? JsonFields.OptionalStringList(config, "Cmd", cw) : null,
                WorkingDir = hasConfig ? NullIfEmpty(JsonFields.OptionalString(config, "WorkingDir", cw)) : null,
                Labels = hasConfig ? JsonFields.StringMap(config, "Labels", cw) : new Dictionary<string, string>(),
                ExposedPorts = hasConfig ? JsonFields.KeySet(config, "ExposedPorts", cw) : [],
                Volumes = hasConfig ? JsonFields.KeySet(config, "Volumes", cw) : [],
                StopSignal = hasConfig ? NullIfEmpty(JsonFields.OptionalString(config, "StopSignal", cw)) : null,
            };
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
