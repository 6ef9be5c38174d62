using System.Text.Json.Nodes;
using GuestPull.Linux;

namespace GuestPull.Shim.Rootfs;

/// <summary>Turns the host's OCI spec into the guest's: rootfs path, namespace paths, host files shared with the guest.</summary>
internal static class SpecRewriter
{
    private static readonly string[] KernelPaths = ["/proc", "/sys", "/dev"];

    public static void SetRoot(JsonObject spec, string rootPath)
    {
        if (spec["root"] is not JsonObject root)
        {
            root = [];
            spec["root"] = root;
        }

        root["path"] = rootPath;
    }

    public static void TranslateNamespaces(JsonObject spec, Func<string, string> translate)
    {
        if (spec["linux"] is JsonObject linux && linux["namespaces"] is JsonArray namespaces)
        {
            foreach (var entry in namespaces.OfType<JsonObject>())
            {
                if (entry["path"] is JsonValue value && value.TryGetValue<string>(out var path) && path.Length > 0)
                {
                    entry["path"] = translate(path);
                }
            }
        }
    }

    /// <summary>The network namespace path the spec names (a sandbox joins it), or null.</summary>
    public static string? NetworkNamespacePath(JsonObject spec) =>
        spec["linux"] is JsonObject linux && linux["namespaces"] is JsonArray namespaces
            ? namespaces.OfType<JsonObject>()
                .Where(entry => entry["type"]?.GetValue<string>() == "network")
                .Select(entry => entry["path"]?.GetValue<string>())
                .FirstOrDefault(path => !string.IsNullOrEmpty(path))
            : null;

    /// <summary>
    /// Bind mounts of host files and directories (resolv.conf, hostname, hosts, /dev/shm, volumes) are bound
    /// under <paramref name="containerDirectory"/>/mounts and the spec points there, as Kata shares them
    /// through its shared directory. Returns the mount points made.
    /// </summary>
    public static IReadOnlyList<string> ShareHostMounts(JsonObject spec, string containerDirectory, Func<string, string> guestPathOf)
    {
        var made = new List<string>();
        if (spec["mounts"] is not JsonArray mounts)
        {
            return made;
        }

        var index = 0;
        foreach (var mount in mounts.OfType<JsonObject>())
        {
            index++;
            var type = mount["type"]?.GetValue<string>();
            var options = mount["options"] is JsonArray array ? array.Select(option => option?.GetValue<string>() ?? string.Empty).ToList() : [];
            var source = mount["source"]?.GetValue<string>();
            if (!MountOptions.IsBind(type, options) || string.IsNullOrEmpty(source) || !Path.IsPathRooted(source)
                || KernelPaths.Any(prefix => source == prefix || source.StartsWith(prefix + "/", StringComparison.Ordinal))
                || source.StartsWith(containerDirectory, StringComparison.Ordinal))
            {
                continue;
            }

            var isDirectory = Directory.Exists(source);
            if (!isDirectory && !File.Exists(source))
            {
                continue;
            }

            var mountsDirectory = Path.Combine(containerDirectory, "mounts");
            Directory.CreateDirectory(mountsDirectory);
            var target = Path.Combine(mountsDirectory, $"{index}-{Path.GetFileName(source.TrimEnd('/'))}");
            if (isDirectory)
            {
                Directory.CreateDirectory(target);
            }
            else
            {
                File.WriteAllBytes(target, []);
            }

            Mounts.Mount(source, target, null, Mounts.Bind | Mounts.Recursive, null);
            made.Add(target);
            mount["source"] = guestPathOf(target);
        }

        return made;
    }

    public static Dictionary<string, string> Annotations(JsonObject spec)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (spec["annotations"] is JsonObject annotations)
        {
            foreach (var (key, value) in annotations)
            {
                if (value is JsonValue text && text.TryGetValue<string>(out var s))
                {
                    result[key] = s;
                }
            }
        }

        return result;
    }
}
