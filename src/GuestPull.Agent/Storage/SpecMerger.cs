using System.Text.Json.Nodes;
using GuestPull.Oci.Model;
using GuestPull.Ttrpc;

namespace GuestPull.Agent.Storage;

/// <summary>
/// Makes the config.json that runs: the request's OCI spec, with <c>root.path</c> pointed at the
/// bundle's rootfs. The image fills in only what the request left out (containerd already merged
/// the image config on the host): args, env and cwd.
/// </summary>
internal static class SpecMerger
{
    private const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>Parses the request's spec; malformed JSON or a non-object is InvalidArgument.</summary>
    public static JsonObject ParseSpec(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, "oci_spec_json is empty: the container needs an OCI runtime spec");
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, $"oci_spec_json is not valid JSON: {ex.Message}");
        }

        if (node is not JsonObject spec)
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, $"oci_spec_json must be a JSON object (an OCI runtime spec), got {node?.GetValueKind().ToString() ?? "null"}");
        }

        if (spec["process"] is { } process && process is not JsonObject)
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, "oci_spec_json: \"process\" must be an object");
        }

        if (spec["root"] is { } root && root is not JsonObject)
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, "oci_spec_json: \"root\" must be an object");
        }

        if (spec["annotations"] is { } annotations && annotations is not JsonObject)
        {
            throw new TtrpcException(TtrpcStatusCode.InvalidArgument, "oci_spec_json: \"annotations\" must be an object of strings");
        }

        return spec;
    }

    /// <summary>A string annotation of the spec, or null.</summary>
    public static string? Annotation(JsonObject spec, string key) =>
        spec["annotations"] is JsonObject annotations && annotations[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>The spec for an image's container.</summary>
    public static JsonObject ForImage(JsonObject requestSpec, ImageConfig image, string rootfs)
    {
        var spec = (JsonObject)requestSpec.DeepClone();
        var process = Process(spec);
        if (IsEmptyArray(process["args"]))
        {
            var args = (image.Entrypoint ?? []).Concat(image.Cmd ?? []).ToList();
            if (args.Count == 0)
            {
                throw new TtrpcException(TtrpcStatusCode.InvalidArgument, "neither the spec's process.args nor the image's Entrypoint/Cmd name a program to run");
            }

            process["args"] = Strings(args);
        }

        if (IsEmptyArray(process["env"]))
        {
            var env = image.Env.ToList();
            if (!env.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)))
            {
                env.Insert(0, DefaultPath);
            }

            process["env"] = Strings(env);
        }

        if (process["cwd"] is not JsonValue cwd || !cwd.TryGetValue<string>(out var dir) || dir.Length == 0)
        {
            process["cwd"] = image.WorkingDir is { Length: > 0 } working ? (working.StartsWith('/') ? working : "/" + working) : "/";
        }

        PointRoot(spec, rootfs);
        return spec;
    }

    /// <summary>The spec for a sandbox container: the pause program replaces whatever the request asked to run.</summary>
    public static JsonObject ForPause(JsonObject requestSpec, string rootfs)
    {
        var spec = (JsonObject)requestSpec.DeepClone();
        var process = Process(spec);
        process["args"] = Strings(PauseRootfs.Arguments);
        if (IsEmptyArray(process["env"]))
        {
            process["env"] = Strings([DefaultPath]);
        }

        process["cwd"] = "/";
        PointRoot(spec, rootfs);
        return spec;
    }

    private static JsonObject Process(JsonObject spec)
    {
        if (spec["process"] is not JsonObject process)
        {
            process = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
            };
            spec["process"] = process;
        }

        return process;
    }

    private static void PointRoot(JsonObject spec, string rootfs)
    {
        var readOnly = spec["root"] is JsonObject root && root["readonly"] is JsonValue flag && flag.TryGetValue<bool>(out var value) && value;
        spec["root"] = new JsonObject { ["path"] = rootfs, ["readonly"] = readOnly };
        spec["ociVersion"] ??= "1.0.2";
    }

    private static bool IsEmptyArray(JsonNode? node) => node is not JsonArray array || array.Count == 0;

    private static JsonArray Strings(IEnumerable<string> values) => [.. values.Select(v => (JsonNode?)JsonValue.Create(v))];
}
