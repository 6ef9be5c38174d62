using System.Text;
using System.Text.Json;

namespace GuestPull.Oci.Registry.Auth;

/// <summary>Turns auth.json / config.json / .dockercfg text into an <see cref="AuthFile"/>.</summary>
internal static class AuthFileParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 32 };
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static AuthFile Parse(string json, string sourceName, bool legacyFormat)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(sourceName);

        // Tools create empty auth files before the first login; that means "no credentials".
        if (string.IsNullOrWhiteSpace(json))
        {
            return new AuthFile(sourceName, new Dictionary<string, RegistryCredential>(), new Dictionary<string, string>(), null);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{sourceName}: not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{sourceName}: expected a JSON object at the top level, found {root.ValueKind}.");
            }

            return legacyFormat ? ParseLegacy(root, sourceName) : ParseCurrent(root, sourceName);
        }
    }

    /// <summary>Folds a file key into <c>host[/path]</c>: URL keys lose their scheme and path, Docker Hub's aliases become docker.io.</summary>
    internal static string NormalizeKey(string key, bool legacyFormat)
    {
        var stripped = key;
        if (stripped.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            stripped = stripped["https://".Length..];
        }
        else if (stripped.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            stripped = stripped["http://".Length..];
        }

        // A URL's path (/v1/, /v2/) is an API detail, not a namespace.
        if (legacyFormat || stripped.Length != key.Length)
        {
            var slash = stripped.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                stripped = stripped[..slash];
            }
        }

        stripped = stripped.TrimEnd('/');
        var hostEnd = stripped.IndexOf('/', StringComparison.Ordinal);
        return hostEnd < 0
            ? DockerHubNames.NormalizeHost(stripped)
            : DockerHubNames.NormalizeHost(stripped[..hostEnd]) + stripped[hostEnd..];
    }

    private static AuthFile ParseCurrent(JsonElement root, string sourceName)
    {
        var credentials = new Dictionary<string, RegistryCredential>(StringComparer.Ordinal);
        var helpers = new Dictionary<string, string>(StringComparer.Ordinal);
        string? store = null;

        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "auths":
                    AddEntries(RequireObject(property.Value, sourceName, "auths"), sourceName, legacyFormat: false, credentials);
                    break;
                case "credHelpers":
                    foreach (var helper in RequireObject(property.Value, sourceName, "credHelpers").EnumerateObject())
                    {
                        if (helper.Value.ValueKind != JsonValueKind.String)
                        {
                            throw new InvalidDataException($"{sourceName}: credHelpers entry '{helper.Name}' must be a string.");
                        }

                        helpers.TryAdd(NormalizeKey(helper.Name, legacyFormat: false), helper.Value.GetString()!);
                    }

                    break;
                case "credsStore":
                    if (property.Value.ValueKind != JsonValueKind.String)
                    {
                        throw new InvalidDataException($"{sourceName}: 'credsStore' must be a string.");
                    }

                    store = NonEmpty(property.Value.GetString());
                    break;
                default:
                    // config.json carries many unrelated CLI settings (psFormat, proxies, ...).
                    break;
            }
        }

        return new AuthFile(sourceName, credentials, helpers, store);
    }

    private static AuthFile ParseLegacy(JsonElement root, string sourceName)
    {
        var credentials = new Dictionary<string, RegistryCredential>(StringComparer.Ordinal);
        AddEntries(root, sourceName, legacyFormat: true, credentials);
        return new AuthFile(sourceName, credentials, new Dictionary<string, string>(), null);
    }

    private static JsonElement RequireObject(JsonElement value, string sourceName, string name) =>
        value.ValueKind == JsonValueKind.Object
            ? value
            : throw new InvalidDataException($"{sourceName}: '{name}' must be a JSON object, found {value.ValueKind}.");

    private static void AddEntries(JsonElement entries, string sourceName, bool legacyFormat, Dictionary<string, RegistryCredential> credentials)
    {
        // A plain key ("docker.io") beats a URL spelling of the same registry
        // ("https://index.docker.io/v1/"); among equals the first in the file wins.
        var fromUrl = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries.EnumerateObject())
        {
            var key = NormalizeKey(entry.Name, legacyFormat);
            if (key.Length == 0 || key.StartsWith('/') || key.Any(char.IsWhiteSpace))
            {
                throw new InvalidDataException($"{sourceName}: key '{entry.Name}' does not name a registry.");
            }

            var credential = ParseEntry(entry.Value, sourceName, entry.Name);
            if (credential is null)
            {
                continue;
            }

            var isUrl = legacyFormat || entry.Name.Contains("://", StringComparison.Ordinal);
            if (credentials.TryAdd(key, credential))
            {
                if (isUrl)
                {
                    fromUrl.Add(key);
                }
            }
            else if (!isUrl && fromUrl.Remove(key))
            {
                credentials[key] = credential;
            }
        }
    }

    private static RegistryCredential? ParseEntry(JsonElement entry, string sourceName, string key)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{sourceName}: entry '{key}' must be a JSON object, found {entry.ValueKind}.");
        }

        var auth = NonEmpty(OptionalString(entry, "auth", sourceName, key));
        var username = OptionalString(entry, "username", sourceName, key);
        var password = OptionalString(entry, "password", sourceName, key);
        var identityToken = NonEmpty(OptionalString(entry, "identitytoken", sourceName, key));

        if (auth is not null)
        {
            (username, password) = DecodeAuth(auth, sourceName, key);
        }
        else if (username is null != password is null)
        {
            throw new InvalidDataException($"{sourceName}: entry '{key}' has '{(username is null ? "password" : "username")}' without '{(username is null ? "username" : "password")}'.");
        }

        username ??= string.Empty;
        password ??= string.Empty;

        // Docker writes "host": {} for registries whose secrets live in a credential helper.
        if (username.Length == 0 && password.Length == 0 && identityToken is null)
        {
            return null;
        }

        return new RegistryCredential(username, password, identityToken);
    }

    private static (string Username, string Password) DecodeAuth(string auth, string sourceName, string key)
    {
        var buffer = new byte[(auth.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(auth, buffer, out var written))
        {
            throw new InvalidDataException($"{sourceName}: entry '{key}': 'auth' is not valid base64.");
        }

        string decoded;
        try
        {
            decoded = StrictUtf8.GetString(buffer, 0, written);
        }
        catch (DecoderFallbackException ex)
        {
            throw new InvalidDataException($"{sourceName}: entry '{key}': 'auth' does not decode to UTF-8 text.", ex);
        }

        // The message never quotes the decoded text: it is a secret.
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            throw new InvalidDataException($"{sourceName}: entry '{key}': 'auth' must decode to 'username:password' but has no ':'.");
        }

        return (decoded[..colon], decoded[(colon + 1)..]);
    }

    private static string? OptionalString(JsonElement entry, string name, string sourceName, string key)
    {
        if (!entry.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new InvalidDataException($"{sourceName}: entry '{key}': '{name}' must be a string, found {value.ValueKind}.");
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
