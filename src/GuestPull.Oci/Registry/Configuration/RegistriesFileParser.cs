using GuestPull.Configuration;

namespace GuestPull.Oci.Registry.Configuration;

/// <summary>
/// Reads one containers-registries.conf(5) file, version 2, into a <see cref="RegistriesFile"/>.
/// Problems are <see cref="InvalidDataException"/>s whose message names the file, the table and the key.
/// </summary>
internal static class RegistriesFileParser
{
    private static readonly string[] ShortNameModes = ["enforcing", "permissive", "disabled"];
    private static readonly string[] PullFromMirrorModes = ["all", "digest-only", "tag-only"];
    private static readonly string[] UnsupportedTopLevelKeys = ["credential-helpers", "aliases", "additional-layer-store-auth-helper"];

    /// <summary>Reads and parses the file at <paramref name="path"/>.</summary>
    public static RegistriesFile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            // TOML forbids defining a key twice and containers' own parser refuses such a file; Tomlyn's
            // model would let a second blocked = false quietly override the first.
            return Parse(TomlConfigReader.Read(path, rejectRedefinitions: true));
        }
        catch (ConfigFileException ex)
        {
            throw new InvalidDataException(ex.Message, ex);
        }
    }

    public static RegistriesFile Parse(string toml, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(toml);
        ArgumentNullException.ThrowIfNull(sourceName);
        try
        {
            return Parse(TomlConfigReader.Parse(toml, sourceName, rejectRedefinitions: true));
        }
        catch (ConfigFileException ex)
        {
            throw new InvalidDataException(ex.Message, ex);
        }
    }

    private static RegistriesFile Parse(TomlSection document)
    {
        if (document.ContainsKey("registries"))
        {
            throw document.Problem(
                "registries",
                "is the v1 format ([registries.search], [registries.insecure], [registries.block]), which is not supported; " +
                "use the v2 format: unqualified-search-registries and [[registry]] tables");
        }

        var warnings = new List<string>();
        IReadOnlyList<string>? searchRegistries = null;
        string? shortNameMode = null;
        var rules = new List<RegistryRule>();

        foreach (var key in document.Keys)
        {
            switch (key)
            {
                case "unqualified-search-registries":
                    searchRegistries = ReadSearchRegistries(document, key);
                    break;
                case "short-name-mode":
                    shortNameMode = document.GetChoice(key, ShortNameModes);
                    break;
                case "registry":
                    var index = 0;
                    foreach (var table in document.GetTables(key))
                    {
                        var rule = ParseRule(table, ++index, warnings);
                        var earlier = rules.Find(r => r.Prefix == rule.Prefix);
                        if (earlier is not null)
                        {
                            throw table.Problem("prefix", $"\"{rule.Prefix}\" is already the prefix of [[registry]] #{earlier.Index}");
                        }

                        rules.Add(rule);
                    }

                    break;
                default:
                    warnings.Add(UnsupportedTopLevelKeys.Contains(key, StringComparer.Ordinal)
                        ? $"{document.File}: {document.NameOf(key)}: not supported, ignored"
                        : document.UnknownKeyWarning(key));
                    break;
            }
        }

        return new RegistriesFile(searchRegistries, shortNameMode, rules, warnings);
    }

    private static RegistryRule ParseRule(TomlSection table, int index, List<string> warnings)
    {
        string? prefix = null;
        string? location = null;
        bool? insecure = null;
        var blocked = false;
        var mirrorByDigestOnly = false;
        IReadOnlyList<TomlSection> mirrorTables = [];

        foreach (var key in table.Keys)
        {
            switch (key)
            {
                case "prefix":
                    prefix = table.GetString(key);
                    break;
                case "location":
                    location = table.GetString(key);
                    break;
                case "insecure":
                    insecure = table.GetBoolean(key);
                    break;
                case "blocked":
                    blocked = table.GetBoolean(key);
                    break;
                case "mirror-by-digest-only":
                    mirrorByDigestOnly = table.GetBoolean(key);
                    break;
                case "mirror":
                    mirrorTables = table.GetTables(key);
                    break;
                default:
                    warnings.Add(table.UnknownKeyWarning(key));
                    break;
            }
        }

        // An empty string means "unset", as in containers/image.
        location = string.IsNullOrEmpty(location) ? null : RegistryLocation.Normalize(location, table, "location");
        if (string.IsNullOrEmpty(prefix))
        {
            prefix = location ?? throw table.TableProblem("needs a prefix or a location");
        }
        else if (prefix.StartsWith("*.", StringComparison.Ordinal))
        {
            prefix = RegistryLocation.NormalizeWildcard(prefix, table, "prefix");
        }
        else
        {
            prefix = RegistryLocation.Normalize(prefix, table, "prefix");
            location ??= prefix;
        }

        var mirrors = mirrorTables.Select(mirror => ParseMirror(mirror, mirrorByDigestOnly, warnings)).ToList();
        return new RegistryRule(prefix, location, insecure, blocked, mirrors, table.File, index);
    }

    private static RegistryMirror ParseMirror(TomlSection table, bool mirrorByDigestOnly, List<string> warnings)
    {
        string? location = null;
        bool? insecure = null;
        PullFromMirror? pullFrom = null;

        foreach (var key in table.Keys)
        {
            switch (key)
            {
                case "location":
                    location = table.GetString(key);
                    break;
                case "insecure":
                    insecure = table.GetBoolean(key);
                    break;
                case "pull-from-mirror":
                    pullFrom = table.GetChoice(key, PullFromMirrorModes) switch
                    {
                        "all" => PullFromMirror.All,
                        "digest-only" => PullFromMirror.DigestOnly,
                        _ => PullFromMirror.TagOnly,
                    };
                    break;
                default:
                    warnings.Add(table.UnknownKeyWarning(key));
                    break;
            }
        }

        if (string.IsNullOrEmpty(location))
        {
            throw table.Problem("location", "is required");
        }

        if (mirrorByDigestOnly && pullFrom is not null)
        {
            throw table.Problem("pull-from-mirror", "cannot be combined with the registry's mirror-by-digest-only");
        }

        var mode = pullFrom ?? (mirrorByDigestOnly ? PullFromMirror.DigestOnly : PullFromMirror.All);
        return new RegistryMirror(RegistryLocation.Normalize(location, table, "location"), insecure, mode);
    }

    private static List<string> ReadSearchRegistries(TomlSection document, string key)
    {
        var registries = new List<string>();
        foreach (var registry in document.GetStringArray(key))
        {
            var normalized = RegistryLocation.Normalize(registry, document, key);
            if (normalized.Contains('/', StringComparison.Ordinal))
            {
                throw document.Invalid(key, "host[:port] entries without a path", registry);
            }

            registries.Add(normalized);
        }

        return registries;
    }
}
