using GuestPull.Oci.Registry.Auth;

namespace GuestPull.Oci.Registry.Configuration;

/// <summary>
/// The subset of containers-registries.conf(5) version 2 a pull needs: unqualified-search
/// registries, and per-prefix <c>[[registry]]</c> rules with a location, <c>insecure</c>,
/// <c>blocked</c> and mirrors. Instances are immutable and safe to share.
/// </summary>
public sealed class RegistriesConfiguration
{
    /// <summary>The system-wide file read when no path is given and <c>$CONTAINERS_REGISTRIES_CONF</c> is unset.</summary>
    public const string DefaultPath = "/etc/containers/registries.conf";

    /// <summary>The directory of drop-in files read after the default file, in lexical order.</summary>
    public const string DefaultDropInDirectory = "/etc/containers/registries.conf.d";

    private readonly IReadOnlyList<RegistryRule> _rules;
    private readonly HashSet<string> _insecureHosts;

    private RegistriesConfiguration(
        IReadOnlyList<string> unqualifiedSearchRegistries,
        string? shortNameMode,
        IReadOnlyList<RegistryRule> rules,
        IReadOnlyList<string> warnings,
        IReadOnlyList<string> sourceNames,
        HashSet<string> insecureHosts)
    {
        UnqualifiedSearchRegistries = unqualifiedSearchRegistries;
        ShortNameMode = shortNameMode;
        _rules = rules;
        Warnings = warnings;
        SourceNames = sourceNames;
        _insecureHosts = insecureHosts;
    }

    /// <summary>No rules at all: every repository is pulled from its own registry over HTTPS.</summary>
    public static RegistriesConfiguration Empty { get; } =
        new([], null, [], [], [], new HashSet<string>(StringComparer.OrdinalIgnoreCase));

    /// <summary>The registries (<c>host[:port]</c>) to try, in order, for a reference without one.</summary>
    public IReadOnlyList<string> UnqualifiedSearchRegistries { get; }

    /// <summary>The <c>short-name-mode</c> setting (<c>enforcing</c>, <c>permissive</c> or <c>disabled</c>), or <see langword="null"/> when unset.</summary>
    public string? ShortNameMode { get; }

    /// <summary>Settings that were ignored (unknown or unsupported keys), each naming its file and table.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The files read, in the order they were applied.</summary>
    public IReadOnlyList<string> SourceNames { get; }

    /// <summary>
    /// Loads the configuration. An explicit path must exist and is read alone. Without one, the
    /// file named by <c>$CONTAINERS_REGISTRIES_CONF</c> (else <see cref="DefaultPath"/>) is read
    /// when it exists, then every <c>*.conf</c> in <see cref="DefaultDropInDirectory"/> in
    /// lexical order: a drop-in's <c>[[registry]]</c> replaces an earlier one with the same
    /// prefix, and its top-level settings replace earlier ones.
    /// </summary>
    /// <param name="path">A file named by the user, or <see langword="null"/> for the defaults.</param>
    /// <returns>The merged configuration; <see cref="Empty"/> when no file exists.</returns>
    /// <exception cref="FileNotFoundException">The explicit file does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is malformed; the message names the file, the table and the key.</exception>
    public static RegistriesConfiguration Load(string? path)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("CONTAINERS_REGISTRIES_CONF");
        return Load(path, string.IsNullOrEmpty(fromEnvironment) ? DefaultPath : fromEnvironment, DefaultDropInDirectory);
    }

    internal static RegistriesConfiguration Load(string? explicitPath, string defaultPath, string? dropInDirectory)
    {
        if (explicitPath is not null)
        {
            if (!File.Exists(explicitPath))
            {
                throw new FileNotFoundException($"Registries configuration '{explicitPath}' does not exist.", explicitPath);
            }

            return FromFiles([ReadFile(explicitPath)]);
        }

        var files = new List<(string Name, RegistriesFile File)>();
        if (File.Exists(defaultPath))
        {
            files.Add(ReadFile(defaultPath));
        }

        if (dropInDirectory is not null && Directory.Exists(dropInDirectory))
        {
            foreach (var dropIn in Directory.GetFiles(dropInDirectory, "*.conf").Order(StringComparer.Ordinal))
            {
                files.Add(ReadFile(dropIn));
            }
        }

        return files.Count == 0 ? Empty : FromFiles(files);
    }

    /// <summary>Parses the text of one registries.conf file.</summary>
    /// <param name="toml">The file's text.</param>
    /// <param name="sourceName">Names the file in messages.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="InvalidDataException">The text is malformed or uses the v1 format; the message names the table and the key.</exception>
    public static RegistriesConfiguration Parse(string toml, string sourceName) =>
        FromFiles([(sourceName, RegistriesFileParser.Parse(toml, sourceName))]);

    /// <summary>
    /// Decides where to pull a repository from. The <c>[[registry]]</c> with the longest prefix
    /// matching <c>host/repository</c> applies (a prefix ends at a '/' or the end; <c>*.domain</c>
    /// matches any subdomain's host). The part of the reference after the prefix is appended to
    /// each mirror's and to the rule's location, so prefix <c>example.com/foo</c> with location
    /// <c>internal:5000/bar</c> sends <c>example.com/foo/app</c> to host <c>internal:5000</c>,
    /// repository <c>bar/app</c>. Mirrors come first, in order, skipping those whose
    /// <c>pull-from-mirror</c> excludes this kind of pull. An endpoint on host <c>docker.io</c>,
    /// which serves no API, is sent to Docker Hub's API host <c>registry-1.docker.io</c>.
    /// </summary>
    /// <param name="registryHost">The registry of the reference, <c>host[:port]</c>.</param>
    /// <param name="repository">The repository path.</param>
    /// <param name="byDigest">The pull names a digest rather than a tag.</param>
    /// <returns>The endpoints to try.</returns>
    /// <exception cref="RegistryBlockedException">The matching rule is <c>blocked</c>.</exception>
    /// <exception cref="InvalidDataException">The matching rule's location leaves no repository for this reference.</exception>
    public RegistryResolution Resolve(string registryHost, string repository, bool byDigest) =>
        ResolveWith(registryHost, repository, mirror => mirror.Serves(byDigest));

    /// <summary>
    /// Like <see cref="Resolve"/>, for the blobs of a pull. A blob is always named by its digest:
    /// GuestPull resolves a tag at a source that serves tags first, so the blobs of a pull by tag
    /// come from every mirror (digest-only ones included), and those of a pull by digest from the
    /// mirrors that serve pulls by digest.
    /// </summary>
    /// <param name="registryHost">The registry of the reference, <c>host[:port]</c>.</param>
    /// <param name="repository">The repository path.</param>
    /// <param name="byDigest">The pull names a digest rather than a tag.</param>
    /// <returns>The endpoints to try.</returns>
    /// <exception cref="RegistryBlockedException">The matching rule is <c>blocked</c>.</exception>
    /// <exception cref="InvalidDataException">The matching rule's location leaves no repository for this reference.</exception>
    public RegistryResolution ResolveBlobs(string registryHost, string repository, bool byDigest) =>
        ResolveWith(registryHost, repository, mirror => !byDigest || mirror.Serves(byDigest: true));

    private RegistryResolution ResolveWith(string registryHost, string repository, Func<RegistryMirror, bool> serves)
    {
        ArgumentException.ThrowIfNullOrEmpty(registryHost);
        ArgumentException.ThrowIfNullOrEmpty(repository);

        var reference = registryHost + "/" + repository;
        RegistryRule? rule = null;
        var matchLength = -1;
        foreach (var candidate in _rules)
        {
            var length = RegistryLocation.Match(candidate.Prefix, reference);
            if (length >= 0 && (rule is null || candidate.Prefix.Length > rule.Prefix.Length))
            {
                rule = candidate;
                matchLength = length;
            }
        }

        if (rule is null)
        {
            return new RegistryResolution([Endpoint(registryHost, repository, insecure: null, isMirror: false)], null, null);
        }

        if (rule.Blocked)
        {
            throw new RegistryBlockedException(reference, rule.Prefix, rule.SourceName);
        }

        var remainder = reference[matchLength..];
        var endpoints = new List<RegistryEndpoint>();
        foreach (var mirror in rule.Mirrors)
        {
            if (serves(mirror))
            {
                endpoints.Add(Relocate(rule, mirror.Location, remainder, reference, mirror.Insecure, isMirror: true));
            }
        }

        endpoints.Add(rule.Location is null
            ? Endpoint(registryHost, repository, rule.Insecure, isMirror: false)
            : Relocate(rule, rule.Location, remainder, reference, rule.Insecure, isMirror: false));
        return new RegistryResolution(endpoints, rule.Prefix, rule.SourceName);
    }

    /// <summary>
    /// Returns a copy in which the given registries allow plain HTTP, whether they appear as a
    /// registry, a location or a mirror (the command line's <c>--insecure-registry</c>).
    /// </summary>
    /// <param name="hostPorts">Registries as <c>host[:port]</c>, matched exactly (ignoring case).</param>
    /// <returns>The new configuration.</returns>
    /// <exception cref="ArgumentException">An entry has a scheme, a path or whitespace.</exception>
    public RegistriesConfiguration WithInsecureRegistries(IEnumerable<string> hostPorts)
    {
        ArgumentNullException.ThrowIfNull(hostPorts);
        var insecure = new HashSet<string>(_insecureHosts, StringComparer.OrdinalIgnoreCase);
        foreach (var hostPort in hostPorts)
        {
            if (string.IsNullOrEmpty(hostPort) || hostPort.Contains("://", StringComparison.Ordinal) ||
                hostPort.Contains('/', StringComparison.Ordinal) || hostPort.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                throw new ArgumentException($"Insecure registry '{hostPort}' must be host[:port], without a scheme or path.", nameof(hostPorts));
            }

            insecure.Add(hostPort);
        }

        return new RegistriesConfiguration(UnqualifiedSearchRegistries, ShortNameMode, _rules, Warnings, SourceNames, insecure);
    }

    private static (string Name, RegistriesFile File) ReadFile(string path) => (path, RegistriesFileParser.Read(path));

    private static RegistriesConfiguration FromFiles(IReadOnlyList<(string Name, RegistriesFile File)> files)
    {
        IReadOnlyList<string> search = [];
        string? shortNameMode = null;
        var rules = new List<RegistryRule>();
        var warnings = new List<string>();
        foreach (var (_, file) in files)
        {
            search = file.UnqualifiedSearchRegistries ?? search;
            shortNameMode = file.ShortNameMode ?? shortNameMode;
            warnings.AddRange(file.Warnings);
            foreach (var rule in file.Registries)
            {
                var existing = rules.FindIndex(r => r.Prefix == rule.Prefix);
                if (existing >= 0)
                {
                    rules[existing] = rule;
                }
                else
                {
                    rules.Add(rule);
                }
            }
        }

        return new RegistriesConfiguration(
            search, shortNameMode, rules, warnings, files.Select(f => f.Name).ToArray(), new HashSet<string>(StringComparer.OrdinalIgnoreCase));
    }

    private RegistryEndpoint Relocate(RegistryRule rule, string location, string remainder, string reference, bool? insecure, bool isMirror)
    {
        var target = location + remainder;
        var slash = target.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || slash == target.Length - 1)
        {
            throw new InvalidDataException($"{rule.Describe()}: location '{location}' leaves no repository for '{reference}'.");
        }

        return Endpoint(target[..slash], target[(slash + 1)..], insecure, isMirror);
    }

    private RegistryEndpoint Endpoint(string host, string repository, bool? insecure, bool isMirror)
    {
        var apiHost = string.Equals(host, DockerHubNames.Registry, StringComparison.OrdinalIgnoreCase) ? DockerHubNames.ApiHost : host;
        var plainHttp = insecure == true || _insecureHosts.Contains(host) || _insecureHosts.Contains(apiHost);
        // Only when nothing said which scheme: an explicit insecure = false keeps a loopback registry on HTTPS.
        var fallback = !plainHttp && insecure is null && IsLoopbackOffTheTlsPort(apiHost);
        return new RegistryEndpoint(apiHost, repository, plainHttp, isMirror, fallback);
    }

    /// <summary>
    /// A loopback <c>host:port</c> whose port leaves the scheme open. Without a port, or on 443, the
    /// registry can only mean HTTPS (plain HTTP would be port 80, another server), as containerd decides.
    /// </summary>
    internal static bool IsLoopbackOffTheTlsPort(string hostPort)
    {
        string host;
        string port;
        if (hostPort.StartsWith('['))
        {
            var close = hostPort.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= hostPort.Length || hostPort[close + 1] != ':')
            {
                return false;
            }

            host = hostPort[..(close + 1)];
            port = hostPort[(close + 2)..];
        }
        else
        {
            var colon = hostPort.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || colon != hostPort.LastIndexOf(':'))
            {
                return false;
            }

            host = hostPort[..colon];
            port = hostPort[(colon + 1)..];
        }

        return port.Length > 0 && port != "443" && LoopbackDialer.IsLoopbackHost(host);
    }
}
