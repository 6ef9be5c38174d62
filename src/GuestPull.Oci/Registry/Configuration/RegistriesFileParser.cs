using Tomlyn;
using Tomlyn.Model;

namespace GuestPull.Oci.Registry.Configuration;

/// <summary>Reads one containers-registries.conf(5) file, version 2, into a <see cref="RegistriesFile"/>.</summary>
internal static class RegistriesFileParser
{
    private static readonly string[] ShortNameModes = ["enforcing", "permissive", "disabled"];
    private static readonly string[] UnsupportedTopLevelKeys = ["credential-helpers", "aliases", "additional-layer-store-auth-helper"];

    public static RegistriesFile Parse(string toml, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(toml);
        ArgumentNullException.ThrowIfNull(sourceName);

        TomlTable document;
        try
        {
            document = TomlSerializer.Deserialize(toml, TomlModelContext.Default.TomlTable) ?? [];
        }
        catch (TomlException ex)
        {
            throw new InvalidDataException($"{sourceName}: invalid TOML: {ex.Message.Trim()}", ex);
        }

        TomlRedefinitionCheck.Check(toml, sourceName);

        if (document.ContainsKey("registries"))
        {
            throw new InvalidDataException(
                $"{sourceName}: v1 format not supported ([registries.search], [registries.insecure], [registries.block]); " +
                "use the v2 format: unqualified-search-registries and [[registry]] tables.");
        }

        var warnings = new List<string>();
        IReadOnlyList<string>? searchRegistries = null;
        string? shortNameMode = null;
        var rules = new List<RegistryRule>();

        foreach (var (key, value) in document)
        {
            switch (key)
            {
                case "unqualified-search-registries":
                    searchRegistries = ReadSearchRegistries(value, sourceName);
                    break;
                case "short-name-mode":
                    shortNameMode = ReadString(value, sourceName, key);
                    if (!ShortNameModes.Contains(shortNameMode, StringComparer.Ordinal))
                    {
                        throw new InvalidDataException($"{sourceName}: 'short-name-mode' must be one of {string.Join(", ", ShortNameModes)} (got '{shortNameMode}').");
                    }

                    break;
                case "registry":
                    var index = 0;
                    foreach (var table in ReadTables(value, sourceName, "registry"))
                    {
                        rules.Add(ParseRule(table, sourceName, ++index, warnings));
                    }

                    break;
                default:
                    warnings.Add(UnsupportedTopLevelKeys.Contains(key, StringComparer.Ordinal)
                        ? $"{sourceName}: '{key}' is not supported; ignored."
                        : $"{sourceName}: unknown key '{key}' ignored.");
                    break;
            }
        }

        var duplicate = rules.GroupBy(r => r.Prefix, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidDataException(
                $"{sourceName}: prefix '{duplicate.Key}' is defined by more than one [[registry]] (#{string.Join(", #", duplicate.Select(r => r.Index))}).");
        }

        return new RegistriesFile(searchRegistries, shortNameMode, rules, warnings);
    }

    private static RegistryRule ParseRule(TomlTable table, string sourceName, int index, List<string> warnings)
    {
        var context = $"{sourceName}: [[registry]] #{index}";
        string? prefix = null;
        string? location = null;
        var insecure = false;
        var blocked = false;
        var mirrorByDigestOnly = false;
        var mirrorTables = new List<TomlTable>();

        foreach (var (key, value) in table)
        {
            switch (key)
            {
                case "prefix":
                    prefix = ReadString(value, context, key);
                    break;
                case "location":
                    location = ReadString(value, context, key);
                    break;
                case "insecure":
                    insecure = ReadBoolean(value, context, key);
                    break;
                case "blocked":
                    blocked = ReadBoolean(value, context, key);
                    break;
                case "mirror-by-digest-only":
                    mirrorByDigestOnly = ReadBoolean(value, context, key);
                    break;
                case "mirror":
                    mirrorTables.AddRange(ReadTables(value, context, "registry.mirror"));
                    break;
                default:
                    warnings.Add($"{context}: unknown key '{key}' ignored.");
                    break;
            }
        }

        // An empty string means "unset", as in containers/image.
        location = string.IsNullOrEmpty(location) ? null : RegistryLocation.Normalize(location, context, "location");
        if (string.IsNullOrEmpty(prefix))
        {
            prefix = location ?? throw new InvalidDataException($"{context}: 'prefix' or 'location' is required.");
        }
        else if (prefix.StartsWith("*.", StringComparison.Ordinal))
        {
            prefix = RegistryLocation.NormalizeWildcard(prefix, context, "prefix");
        }
        else
        {
            prefix = RegistryLocation.Normalize(prefix, context, "prefix");
            location ??= prefix;
        }

        var mirrors = new List<RegistryMirror>();
        var mirrorIndex = 0;
        foreach (var mirrorTable in mirrorTables)
        {
            mirrors.Add(ParseMirror(mirrorTable, $"{context}: [[registry.mirror]] #{++mirrorIndex}", mirrorByDigestOnly, warnings));
        }

        return new RegistryRule(prefix, location, insecure, blocked, mirrors, sourceName, index);
    }

    private static RegistryMirror ParseMirror(TomlTable table, string context, bool mirrorByDigestOnly, List<string> warnings)
    {
        string? location = null;
        var insecure = false;
        PullFromMirror? pullFrom = null;

        foreach (var (key, value) in table)
        {
            switch (key)
            {
                case "location":
                    location = ReadString(value, context, key);
                    break;
                case "insecure":
                    insecure = ReadBoolean(value, context, key);
                    break;
                case "pull-from-mirror":
                    pullFrom = ReadString(value, context, key) switch
                    {
                        "all" => PullFromMirror.All,
                        "digest-only" => PullFromMirror.DigestOnly,
                        "tag-only" => PullFromMirror.TagOnly,
                        var other => throw new InvalidDataException($"{context}: 'pull-from-mirror' must be one of all, digest-only, tag-only (got '{other}')."),
                    };
                    break;
                default:
                    warnings.Add($"{context}: unknown key '{key}' ignored.");
                    break;
            }
        }

        if (string.IsNullOrEmpty(location))
        {
            throw new InvalidDataException($"{context}: 'location' is required.");
        }

        if (mirrorByDigestOnly && pullFrom is not null)
        {
            throw new InvalidDataException($"{context}: 'pull-from-mirror' cannot be combined with the registry's 'mirror-by-digest-only'.");
        }

        var mode = pullFrom ?? (mirrorByDigestOnly ? PullFromMirror.DigestOnly : PullFromMirror.All);
        return new RegistryMirror(RegistryLocation.Normalize(location, context, "location"), insecure, mode);
    }

    private static List<string> ReadSearchRegistries(object value, string sourceName)
    {
        const string Key = "unqualified-search-registries";
        if (value is not TomlArray array)
        {
            throw new InvalidDataException($"{sourceName}: '{Key}' must be an array of strings.");
        }

        var registries = new List<string>();
        foreach (var item in array)
        {
            if (item is not string registry)
            {
                throw new InvalidDataException($"{sourceName}: '{Key}' must be an array of strings (found {Describe(item)}).");
            }

            var normalized = RegistryLocation.Normalize(registry, sourceName, Key);
            if (normalized.Contains('/', StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{sourceName}: '{Key}' entries must be host[:port] without a path (got '{registry}').");
            }

            registries.Add(normalized);
        }

        return registries;
    }

    private static IEnumerable<TomlTable> ReadTables(object value, string context, string name)
    {
        return value switch
        {
            TomlTableArray tables => tables,
            TomlArray array when array.All(item => item is TomlTable) => array.Cast<TomlTable>(),
            _ => throw new InvalidDataException($"{context}: '{name}' must be an array of tables, written [[{name}]] (found {Describe(value)})."),
        };
    }

    private static string ReadString(object value, string context, string key) =>
        value as string ?? throw new InvalidDataException($"{context}: '{key}' must be a string (found {Describe(value)}).");

    private static bool ReadBoolean(object value, string context, string key) =>
        value as bool? ?? throw new InvalidDataException($"{context}: '{key}' must be a boolean (found {Describe(value)}).");

    private static string Describe(object? value) => value switch
    {
        null => "nothing",
        string => "a string",
        bool => "a boolean",
        long or double => "a number",
        TomlTable => "a table",
        TomlTableArray or TomlArray => "an array",
        _ => "a date or time",
    };
}
