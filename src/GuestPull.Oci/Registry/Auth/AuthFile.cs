namespace GuestPull.Oci.Registry.Auth;

/// <summary>
/// Registry credentials from a containers <c>auth.json</c> or a Docker <c>config.json</c>
/// (or the legacy <c>~/.dockercfg</c>). Keys may name a registry (<c>host[:port]</c>), a
/// namespace or repository in it (<c>host/namespace/repo</c>; the most specific one wins), or a
/// legacy URL such as <c>https://index.docker.io/v1/</c>. Credential helpers are not run: a
/// registry configured for one produces a <see cref="Warnings"/> entry instead.
/// </summary>
public sealed class AuthFile
{
    private readonly IReadOnlyDictionary<string, RegistryCredential> _credentials;
    private readonly IReadOnlyDictionary<string, string> _credentialHelpers;
    private readonly string? _credentialStore;
    private readonly Lock _warningsLock = new();
    private readonly List<string> _warnings = [];

    internal AuthFile(
        string? sourceName,
        IReadOnlyDictionary<string, RegistryCredential> credentials,
        IReadOnlyDictionary<string, string> credentialHelpers,
        string? credentialStore)
    {
        SourceName = sourceName;
        _credentials = credentials;
        _credentialHelpers = credentialHelpers;
        _credentialStore = credentialStore;
    }

    /// <summary>An auth file with no credentials, used when none exists.</summary>
    public static AuthFile Empty { get; } = new(null, new Dictionary<string, RegistryCredential>(), new Dictionary<string, string>(), null);

    /// <summary>The file the credentials came from, or <see langword="null"/> when none was found.</summary>
    public string? SourceName { get; }

    /// <summary>How many registries or repositories have credentials.</summary>
    public int Count => _credentials.Count;

    /// <summary>
    /// Things <see cref="Find"/> could not honour, such as a credential helper configured for a
    /// registry it was asked about. Each message appears once.
    /// </summary>
    public IReadOnlyList<string> Warnings
    {
        get
        {
            lock (_warningsLock)
            {
                return _warnings.ToArray();
            }
        }
    }

    /// <summary>
    /// Loads an auth file. An explicit path must exist. Without one, the first existing file of
    /// <c>$REGISTRY_AUTH_FILE</c>, <c>$XDG_RUNTIME_DIR/containers/auth.json</c>,
    /// <c>$XDG_CONFIG_HOME/containers/auth.json</c> (default <c>~/.config/containers/auth.json</c>),
    /// <c>$DOCKER_CONFIG/config.json</c> (default <c>~/.docker/config.json</c>) and
    /// <c>~/.dockercfg</c> is read; when none exists the result is <see cref="Empty"/>.
    /// </summary>
    /// <param name="explicitPath">A file named by the user, or <see langword="null"/> to search the default locations.</param>
    /// <returns>The parsed credentials.</returns>
    /// <exception cref="FileNotFoundException">The explicit file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed; the message names the file and the entry.</exception>
    public static AuthFile Load(string? explicitPath) =>
        Load(explicitPath, Environment.GetEnvironmentVariable, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    internal static AuthFile Load(string? explicitPath, Func<string, string?> getEnvironment, string? homeDirectory)
    {
        if (explicitPath is not null)
        {
            if (!File.Exists(explicitPath))
            {
                throw new FileNotFoundException($"Auth file '{explicitPath}' does not exist.", explicitPath);
            }

            return ReadFile(explicitPath, IsLegacyFileName(explicitPath));
        }

        foreach (var candidate in DefaultLocations(getEnvironment, homeDirectory))
        {
            if (File.Exists(candidate))
            {
                return ReadFile(candidate, IsLegacyFileName(candidate));
            }
        }

        return Empty;
    }

    /// <summary>Parses the text of an auth.json or config.json (the format with an <c>auths</c> object).</summary>
    /// <param name="json">The file's text.</param>
    /// <param name="sourceName">Names the file in error messages.</param>
    /// <returns>The parsed credentials.</returns>
    /// <exception cref="InvalidDataException">The text is malformed; the message names the source and the entry.</exception>
    public static AuthFile Parse(string json, string sourceName) => AuthFileParser.Parse(json, sourceName, legacyFormat: false);

    /// <summary>
    /// Finds the credentials for a repository: an entry for <c>host/namespace/repo</c> wins over
    /// one for <c>host/namespace</c>, which wins over one for <c>host</c>. Docker Hub's names
    /// (<c>docker.io</c>, <c>index.docker.io</c>, <c>registry-1.docker.io</c>) are one registry.
    /// </summary>
    /// <param name="registryHost">The registry, <c>host[:port]</c>.</param>
    /// <param name="repository">The repository path inside the registry; may be empty to match registry-wide entries only.</param>
    /// <returns>The credentials, or <see langword="null"/> to go anonymous.</returns>
    public RegistryCredential? Find(string registryHost, string repository)
    {
        ArgumentException.ThrowIfNullOrEmpty(registryHost);
        ArgumentNullException.ThrowIfNull(repository);

        var host = DockerHubNames.NormalizeHost(registryHost);
        var path = repository.Trim('/');
        var candidate = path.Length > 0 ? host + "/" + path : host;
        while (true)
        {
            if (_credentials.TryGetValue(candidate, out var credential))
            {
                return credential;
            }

            var slash = candidate.LastIndexOf('/');
            if (slash < 0)
            {
                break;
            }

            candidate = candidate[..slash];
        }

        if (_credentialHelpers.TryGetValue(host, out var helper))
        {
            AddWarning($"{SourceName}: credential helper '{helper}' configured for '{host}' is not supported; pulling from it anonymously.");
        }
        else if (_credentialStore is not null)
        {
            AddWarning($"{SourceName}: credential store '{_credentialStore}' (credsStore) is not supported; no credentials for '{host}'.");
        }

        return null;
    }

    internal static IEnumerable<string> DefaultLocations(Func<string, string?> getEnvironment, string? homeDirectory)
    {
        var home = string.IsNullOrEmpty(homeDirectory) ? null : homeDirectory;

        if (NonEmpty(getEnvironment("REGISTRY_AUTH_FILE")) is { } authFile)
        {
            yield return authFile;
        }

        if (NonEmpty(getEnvironment("XDG_RUNTIME_DIR")) is { } runtimeDir)
        {
            yield return Path.Combine(runtimeDir, "containers", "auth.json");
        }

        if (NonEmpty(getEnvironment("XDG_CONFIG_HOME")) is { } configHome)
        {
            yield return Path.Combine(configHome, "containers", "auth.json");
        }
        else if (home is not null)
        {
            yield return Path.Combine(home, ".config", "containers", "auth.json");
        }

        if (NonEmpty(getEnvironment("DOCKER_CONFIG")) is { } dockerConfig)
        {
            yield return Path.Combine(dockerConfig, "config.json");
        }
        else if (home is not null)
        {
            yield return Path.Combine(home, ".docker", "config.json");
        }

        if (home is not null)
        {
            yield return Path.Combine(home, ".dockercfg");
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static bool IsLegacyFileName(string path) => Path.GetFileName(path) == ".dockercfg";

    private static AuthFile ReadFile(string path, bool legacyFormat)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"Cannot read auth file '{path}': {ex.Message}", ex);
        }

        return AuthFileParser.Parse(text, path, legacyFormat);
    }

    private void AddWarning(string message)
    {
        lock (_warningsLock)
        {
            if (!_warnings.Contains(message))
            {
                _warnings.Add(message);
            }
        }
    }
}
