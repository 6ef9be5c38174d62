using System.Text.Json;

namespace GuestPull.Ocicrypt.KeyProviders;

/// <summary>
/// ocicrypt's key provider configuration (the JSON file <c>OCICRYPT_KEYPROVIDER_CONFIG</c> names):
/// <c>{"key-providers": {"NAME": {"cmd": {"path": …, "args": […]}} | {"grpc": "HOST:PORT"}}}</c>.
/// </summary>
public sealed class KeyProviderConfig
{
    /// <summary>The environment variable ocicrypt reads the file name from.</summary>
    public const string EnvironmentVariable = "OCICRYPT_KEYPROVIDER_CONFIG";

    private KeyProviderConfig(IReadOnlyDictionary<string, KeyProviderEntry> providers)
    {
        Providers = providers;
    }

    /// <summary>The providers by name.</summary>
    public IReadOnlyDictionary<string, KeyProviderEntry> Providers { get; }

    /// <summary>Reads the file named by <see cref="EnvironmentVariable"/>; null when it is unset.</summary>
    public static KeyProviderConfig? FromEnvironment()
        => Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } path ? Load(path) : null;

    /// <summary>Reads <paramref name="path"/>; throws <see cref="FormatException"/> naming the file and the problem.</summary>
    /// <param name="path">The JSON file.</param>
    public static KeyProviderConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"key provider config '{path}': {e.Message}", e);
        }

        return Parse(bytes, path);
    }

    /// <summary>Parses the JSON document.</summary>
    /// <param name="json">The document.</param>
    /// <param name="source">Names it in messages.</param>
    public static KeyProviderConfig Parse(ReadOnlySpan<byte> json, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            var providers = new Dictionary<string, KeyProviderEntry>(StringComparer.Ordinal);
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("not a JSON object");
            }

            if (!root.TryGetProperty("key-providers", out var list) || list.ValueKind == JsonValueKind.Null)
            {
                return new KeyProviderConfig(providers);
            }

            if (list.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("\"key-providers\" is not an object");
            }

            foreach (var provider in list.EnumerateObject())
            {
                providers[provider.Name] = Entry(provider.Name, provider.Value);
            }

            return new KeyProviderConfig(providers);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"key provider config '{source}': {e.Message}", e);
        }
    }

    private static KeyProviderEntry Entry(string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"provider '{name}' is not an object");
        }

        if (value.TryGetProperty("cmd", out var cmd) && cmd.ValueKind == JsonValueKind.Object)
        {
            var path = cmd.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : throw new FormatException($"provider '{name}': cmd has no path");
            var args = cmd.TryGetProperty("args", out var a) && a.ValueKind == JsonValueKind.Array
                ? a.EnumerateArray().Select(x => x.GetString() ?? throw new FormatException($"provider '{name}': an argument is not a string")).ToList()
                : [];
            return new KeyProviderEntry(name, path, args, null);
        }

        if (value.TryGetProperty("grpc", out var grpc) && grpc.ValueKind == JsonValueKind.String && grpc.GetString() is { Length: > 0 } address)
        {
            if (value.TryGetProperty("grpc-tls", out var tls) && tls.ValueKind != JsonValueKind.Null)
            {
                throw new FormatException($"provider '{name}': grpc-tls is not supported; key providers are reached in plain text on the local machine");
            }

            return new KeyProviderEntry(name, null, [], address);
        }

        throw new FormatException($"provider '{name}' has neither cmd nor grpc");
    }
}
