using System.Text.Json.Nodes;
using GuestPull.Oci.Model;

namespace GuestPull.Images.Spec;

/// <summary>
/// Builds an OCI runtime spec (<c>config.json</c>, version 1.0.2) from an image config, with
/// containerd's Linux defaults for everything the image does not say (mounts, namespaces,
/// capabilities, masked and read-only paths, RLIMIT_NOFILE).
/// </summary>
public static class RuntimeSpecBuilder
{
    /// <summary>
    /// Builds the spec. <c>root.path</c> is <c>rootfs</c> (relative to the bundle); a user given by
    /// name is resolved against <paramref name="rootfs"/>'s own /etc/passwd and /etc/group.
    /// </summary>
    /// <param name="image">The image config.</param>
    /// <param name="rootfs">The assembled root filesystem of the image.</param>
    /// <exception cref="RuntimeSpecException">Nothing to run, or the user can't be resolved.</exception>
    public static JsonObject Build(ImageConfig image, string rootfs)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentException.ThrowIfNullOrEmpty(rootfs);
        var args = (image.Entrypoint ?? []).Concat(image.Cmd ?? []).ToList();
        if (args.Count == 0)
        {
            throw new RuntimeSpecException("the image config has neither Entrypoint nor Cmd: there is no process to run");
        }

        var env = image.Env.ToList();
        if (!env.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)))
        {
            env.Insert(0, SpecDefaults.DefaultPath);
        }

        var cwd = image.WorkingDir is { Length: > 0 } dir ? (dir.StartsWith('/') ? dir : "/" + dir) : "/";
        var user = ImageUserResolver.Resolve(image.User, rootfs);
        var annotations = new JsonObject();
        foreach (var (key, value) in image.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            annotations[key] = value;
        }

        return new JsonObject
        {
            ["ociVersion"] = SpecDefaults.OciVersion,
            ["process"] = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject
                {
                    ["uid"] = user.Uid,
                    ["gid"] = user.Gid,
                    ["additionalGids"] = new JsonArray([.. user.AdditionalGids.Select(g => (JsonNode?)JsonValue.Create(g))]),
                },
                ["args"] = SpecDefaults.Strings(args),
                ["env"] = SpecDefaults.Strings(env),
                ["cwd"] = cwd,
                ["capabilities"] = new JsonObject
                {
                    ["bounding"] = SpecDefaults.Strings(SpecDefaults.Capabilities),
                    ["effective"] = SpecDefaults.Strings(SpecDefaults.Capabilities),
                    ["permitted"] = SpecDefaults.Strings(SpecDefaults.Capabilities),
                },
                ["rlimits"] = new JsonArray(new JsonObject
                {
                    ["type"] = "RLIMIT_NOFILE",
                    ["hard"] = SpecDefaults.OpenFilesLimit,
                    ["soft"] = SpecDefaults.OpenFilesLimit,
                }),
            },
            ["root"] = new JsonObject { ["path"] = "rootfs", ["readonly"] = false },
            ["mounts"] = SpecDefaults.Mounts(),
            ["annotations"] = annotations,
            ["linux"] = new JsonObject
            {
                ["resources"] = new JsonObject
                {
                    ["devices"] = new JsonArray(new JsonObject { ["allow"] = false, ["access"] = "rwm" }),
                },
                ["namespaces"] = new JsonArray([.. SpecDefaults.Namespaces.Select(n => (JsonNode?)new JsonObject { ["type"] = n })]),
                ["maskedPaths"] = SpecDefaults.Strings(SpecDefaults.MaskedPaths),
                ["readonlyPaths"] = SpecDefaults.Strings(SpecDefaults.ReadonlyPaths),
            },
        };
    }
}
