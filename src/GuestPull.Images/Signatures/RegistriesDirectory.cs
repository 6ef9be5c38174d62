using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace GuestPull.Images.Signatures;

/// <summary>
/// The lookaside (signature storage) settings of a containers-registries.d directory: every
/// <c>*.yaml</c> file, each with an optional <c>default-docker</c> entry and a <c>docker</c> map from
/// namespace (<c>host</c>, <c>host/ns</c>, <c>host/ns/repo[:tag]</c>) to settings. The most specific
/// namespace with a <c>lookaside</c> (or the older name <c>sigstore</c>) URL wins, then the default.
/// A namespace or default defined in two files is an error, as in containers/image.
/// </summary>
public sealed class RegistriesDirectory
{
    /// <summary>The default directory.</summary>
    public const string DefaultPath = "/etc/containers/registries.d";

    private static readonly string[] EntryFields = ["lookaside", "lookaside-staging", "sigstore", "sigstore-staging", "use-sigstore-attachments"];

    private readonly Uri? _default;
    private readonly Dictionary<string, Uri?> _namespaces;

    private RegistriesDirectory(Uri? defaultLookaside, Dictionary<string, Uri?> namespaces)
    {
        _default = defaultLookaside;
        _namespaces = namespaces;
    }

    /// <summary>No lookaside configured anywhere.</summary>
    public static RegistriesDirectory Empty { get; } = new(null, []);

    /// <summary>Reads every <c>*.yaml</c> file of <paramref name="directory"/>; a missing directory configures nothing.</summary>
    /// <exception cref="PolicyFormatException">A file is malformed; the message names the file and the field.</exception>
    public static RegistriesDirectory Load(string? directory)
    {
        if (directory is null || !Directory.Exists(directory))
        {
            return Empty;
        }

        Uri? defaultLookaside = null;
        string? defaultSource = null;
        var namespaces = new Dictionary<string, Uri?>(StringComparer.Ordinal);
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.GetFiles(directory, "*.yaml").Order(StringComparer.Ordinal))
        {
            var root = ReadRoot(path);
            if (root is null)
            {
                continue;
            }

            foreach (var (keyNode, value) in root.Children)
            {
                var key = Scalar(keyNode, path, "top level");
                switch (key)
                {
                    case "default-docker":
                        if (defaultSource is not null)
                        {
                            throw new PolicyFormatException($"{path}: default-docker is already defined in {defaultSource}");
                        }

                        defaultSource = path;
                        defaultLookaside = ParseEntry(value, path, "default-docker");
                        break;
                    case "docker":
                        if (value is YamlScalarNode { Value: null or "" or "~" })
                        {
                            break;
                        }

                        if (value is not YamlMappingNode map)
                        {
                            throw new PolicyFormatException($"{path}: docker must be a map from namespace to settings");
                        }

                        foreach (var (namespaceNode, entry) in map.Children)
                        {
                            var name = Scalar(namespaceNode, path, "docker");
                            if (sources.TryGetValue(name, out var first))
                            {
                                throw new PolicyFormatException($"{path}: docker[\"{name}\"] is already defined in {first}");
                            }

                            sources[name] = path;
                            namespaces[name] = ParseEntry(entry, path, $"docker[\"{name}\"]");
                        }

                        break;
                    default:
                        throw new PolicyFormatException($"{path}: unknown top-level key \"{key}\" (expected default-docker or docker)");
                }
            }
        }

        return new RegistriesDirectory(defaultLookaside, namespaces);
    }

    /// <summary>The lookaside URL for <paramref name="scopes"/> (most specific first), or null.</summary>
    internal (Uri? Lookaside, string Entry) LookasideFor(IEnumerable<string> scopes)
    {
        foreach (var scope in scopes)
        {
            if (_namespaces.TryGetValue(scope, out var uri) && uri is not null)
            {
                return (uri, $"registries.d docker[\"{scope}\"]");
            }
        }

        return (_default, "registries.d default-docker");
    }

    private static YamlMappingNode? ReadRoot(string path)
    {
        var yaml = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            yaml.Load(reader);
        }
        catch (YamlException ex)
        {
            throw new PolicyFormatException($"{path}: not valid YAML: {ex.Message}", ex);
        }

        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return null;
        }

        if (yaml.Documents.Count > 1)
        {
            throw new PolicyFormatException($"{path}: holds {yaml.Documents.Count} YAML documents; expected one");
        }

        return yaml.Documents[0].RootNode as YamlMappingNode
            ?? throw new PolicyFormatException($"{path}: the top level must be a map");
    }

    private static Uri? ParseEntry(YamlNode node, string path, string where)
    {
        if (node is YamlScalarNode { Value: null or "" or "~" })
        {
            return null;
        }

        if (node is not YamlMappingNode map)
        {
            throw new PolicyFormatException($"{path}: {where} must be a map of settings");
        }

        string? lookaside = null;
        string? legacy = null;
        foreach (var (keyNode, value) in map.Children)
        {
            var key = Scalar(keyNode, path, where);
            if (!EntryFields.Contains(key, StringComparer.Ordinal))
            {
                throw new PolicyFormatException($"{path}: {where}.{key}: unknown setting (expected one of {string.Join(", ", EntryFields)})");
            }

            var text = Scalar(value, path, $"{where}.{key}");
            if (key == "use-sigstore-attachments")
            {
                if (text is not ("true" or "false"))
                {
                    throw new PolicyFormatException($"{path}: {where}.{key}: must be true or false, not \"{text}\"");
                }

                continue;
            }

            var uri = ParseUrl(text, path, $"{where}.{key}");
            if (key == "lookaside")
            {
                lookaside = uri.ToString();
            }
            else if (key == "sigstore")
            {
                legacy = uri.ToString();
            }
        }

        var chosen = lookaside ?? legacy;
        return chosen is null ? null : new Uri(chosen);
    }

    private static Uri ParseUrl(string text, string path, string where)
    {
        // Uri accepts a bare "/path" as a file URI on Linux; the setting must spell out its scheme.
        if (!text.Contains("://", StringComparison.Ordinal) || !Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("file" or "http" or "https"))
        {
            throw new PolicyFormatException($"{path}: {where}: \"{text}\" is not an absolute file://, http:// or https:// URL");
        }

        return uri;
    }

    private static string Scalar(YamlNode node, string path, string where) =>
        node is YamlScalarNode { Value: { } value } ? value : throw new PolicyFormatException($"{path}: {where}: expected a plain value");
}
