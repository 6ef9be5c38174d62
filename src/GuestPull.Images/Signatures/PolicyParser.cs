using System.Text;
using System.Text.Json;
using GuestPull.Oci.Model;

namespace GuestPull.Images.Signatures;

/// <summary>
/// Strict containers-policy.json parser. Unknown fields, duplicate fields, an empty requirement
/// list, and conflicting key sources are errors, because a policy that silently means less than
/// its author wrote is how unsigned images get in. Every error names the field's path.
/// </summary>
internal static class PolicyParser
{
    private static readonly string[] UnsupportedSigstoreFields =
        ["fulcio", "pki", "rekorPublicKeyPath", "rekorPublicKeyPaths", "rekorPublicKeyData", "rekorPublicKeyDatas"];

    public static SignaturePolicy Parse(ReadOnlyMemory<byte> json, string source, string baseDirectory)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32, AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            throw new PolicyFormatException($"{source}: not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (UndecodableJsonStrings.FindFirst(json.Span) is { } undecodable)
            {
                throw new PolicyFormatException($"{source}: {undecodable}");
            }

            var context = new ParseContext(source, baseDirectory);
            var root = document.RootElement;
            context.Expect(root, JsonValueKind.Object, "the top level");
            context.OnlyFields(root, "the top level", "default", "transports");
            if (!root.TryGetProperty("default", out var defaultElement))
            {
                throw context.Error("default", "missing (every policy needs a default requirement list)");
            }

            var defaultRequirements = ParseList(context, defaultElement, "default");
            var docker = new Dictionary<string, IReadOnlyList<PolicyRequirement>>(StringComparer.Ordinal);
            if (root.TryGetProperty("transports", out var transports))
            {
                context.Expect(transports, JsonValueKind.Object, "transports");
                foreach (var transport in transports.EnumerateObject())
                {
                    var transportPath = $"transports.{transport.Name}";
                    context.Expect(transport.Value, JsonValueKind.Object, transportPath);
                    foreach (var scope in transport.Value.EnumerateObject())
                    {
                        var scopePath = $"{transportPath}[\"{scope.Name}\"]";
                        if (transport.Name == "docker" && PolicyScopes.Validate(scope.Name) is { } problem)
                        {
                            throw context.Error(scopePath, $"invalid scope: {problem}");
                        }

                        var requirements = ParseList(context, scope.Value, scopePath);
                        if (transport.Name == "docker")
                        {
                            docker[scope.Name] = requirements;
                        }
                    }
                }
            }

            return new SignaturePolicy(source, defaultRequirements, docker);
        }
    }

    private static IReadOnlyList<PolicyRequirement> ParseList(ParseContext context, JsonElement element, string path)
    {
        context.Expect(element, JsonValueKind.Array, path);
        var list = new List<PolicyRequirement>();
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            list.Add(ParseRequirement(context, item, $"{path}[{index++}]"));
        }

        return list.Count > 0 ? list : throw context.Error(path, "an empty requirement list is not allowed (use [{\"type\": \"reject\"}] or [{\"type\": \"insecureAcceptAnything\"}] to say what you mean)");
    }

    private static PolicyRequirement ParseRequirement(ParseContext context, JsonElement element, string path)
    {
        context.Expect(element, JsonValueKind.Object, path);
        var type = context.RequiredString(element, "type", path);
        switch (type)
        {
            case "insecureAcceptAnything":
                context.OnlyFields(element, path, "type");
                return new InsecureAcceptAnythingRequirement();
            case "reject":
                context.OnlyFields(element, path, "type");
                return new RejectRequirement();
            case "signedBy":
                return ParseSignedBy(context, element, path);
            case "sigstoreSigned":
                return ParseSigstoreSigned(context, element, path);
            case "signedBaseLayer":
                throw context.Error($"{path}.type", "\"signedBaseLayer\" is not supported");
            default:
                throw context.Error($"{path}.type", $"unknown requirement type \"{type}\" (expected insecureAcceptAnything, reject, signedBy or sigstoreSigned)");
        }
    }

    private static SignedByRequirement ParseSignedBy(ParseContext context, JsonElement element, string path)
    {
        context.OnlyFields(element, path, "type", "keyType", "keyPath", "keyPaths", "keyData", "signedIdentity");
        var keyType = context.RequiredString(element, "keyType", path);
        if (keyType != "GPGKeys")
        {
            throw context.Error($"{path}.keyType", keyType is "signedByGPGKeys" or "X509Certificates" or "signedByX509CAs"
                ? $"\"{keyType}\" is not supported (only GPGKeys)"
                : $"unknown key type \"{keyType}\" (expected GPGKeys)");
        }

        var sources = ReadKeySources(context, element, path, "keyPath", "keyPaths", "keyData", keyDatas: null);
        GpgKeyring keys;
        try
        {
            keys = GpgKeyring.Load(sources);
        }
        catch (FormatException ex)
        {
            throw new PolicyFormatException($"{context.Source}: {ex.Message}", ex);
        }

        return new SignedByRequirement(keys, ParseIdentity(context, element, path));
    }

    private static SigstoreSignedRequirement ParseSigstoreSigned(ParseContext context, JsonElement element, string path)
    {
        foreach (var field in UnsupportedSigstoreFields)
        {
            if (element.TryGetProperty(field, out _))
            {
                throw context.Error($"{path}.{field}", "Fulcio certificates and Rekor are not supported; use keyPath, keyPaths, keyData or keyDatas");
            }
        }

        context.OnlyFields(element, path, "type", "keyPath", "keyPaths", "keyData", "keyDatas", "signedIdentity");
        var sources = ReadKeySources(context, element, path, "keyPath", "keyPaths", "keyData", "keyDatas");
        var keys = new List<SigstorePublicKey>();
        foreach (var (where, data) in sources)
        {
            try
            {
                keys.AddRange(SigstorePublicKey.ParsePem(Encoding.UTF8.GetString(data)));
            }
            catch (FormatException ex)
            {
                throw new PolicyFormatException($"{context.Source}: {where}: {ex.Message}", ex);
            }
        }

        return new SigstoreSignedRequirement(keys, ParseIdentity(context, element, path));
    }

    /// <summary>Exactly one of the key fields must be present; returns (field path + file, bytes) per key source.</summary>
    private static List<(string Source, byte[] Data)> ReadKeySources(ParseContext context, JsonElement element, string path, string keyPath, string keyPaths, string keyData, string? keyDatas)
    {
        var present = new[] { keyPath, keyPaths, keyData, keyDatas }.Where(f => f is not null && element.TryGetProperty(f, out _)).ToList();
        if (present.Count != 1)
        {
            var names = string.Join(", ", new[] { keyPath, keyPaths, keyData, keyDatas }.Where(f => f is not null));
            throw context.Error(path, present.Count == 0 ? $"needs one of {names}" : $"has {string.Join(" and ", present)}; exactly one of {names} is allowed");
        }

        var field = present[0]!;
        var fieldPath = $"{path}.{field}";
        var sources = new List<(string, byte[])>();
        if (field == keyPath || field == keyPaths)
        {
            var paths = field == keyPath ? [context.RequiredString(element, field, path)] : context.StringArray(element.GetProperty(field), fieldPath);
            foreach (var file in paths)
            {
                var full = Path.GetFullPath(file, context.BaseDirectory);
                try
                {
                    sources.Add(($"{fieldPath} {full}", File.ReadAllBytes(full)));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw context.Error(fieldPath, $"cannot read key file {full}: {ex.Message}");
                }
            }
        }
        else
        {
            var values = field == keyData ? [context.RequiredString(element, field, path)] : context.StringArray(element.GetProperty(field), fieldPath);
            foreach (var value in values)
            {
                try
                {
                    sources.Add((fieldPath, Convert.FromBase64String(value)));
                }
                catch (FormatException)
                {
                    throw context.Error(fieldPath, "is not valid base64");
                }
            }
        }

        return sources;
    }

    private static SignedIdentityRule ParseIdentity(ParseContext context, JsonElement requirement, string path)
    {
        if (!requirement.TryGetProperty("signedIdentity", out var element))
        {
            return SignedIdentityRule.Default;
        }

        path += ".signedIdentity";
        context.Expect(element, JsonValueKind.Object, path);
        var type = context.RequiredString(element, "type", path);
        switch (type)
        {
            case "matchRepoDigestOrExact":
                context.OnlyFields(element, path, "type");
                return SignedIdentityRule.Default;
            case "matchRepository":
                context.OnlyFields(element, path, "type");
                return new SignedIdentityRule { Kind = SignedIdentityKind.MatchRepository };
            case "exactReference":
            {
                context.OnlyFields(element, path, "type", "dockerReference");
                var text = context.RequiredString(element, "dockerReference", path);
                var identity = ParseReference(context, text, $"{path}.dockerReference");
                if (identity.IsNameOnly)
                {
                    throw context.Error($"{path}.dockerReference", $"\"{text}\" has neither a tag nor a digest");
                }

                return new SignedIdentityRule { Kind = SignedIdentityKind.ExactReference, DockerReference = identity };
            }

            case "exactRepository":
            {
                context.OnlyFields(element, path, "type", "dockerRepository");
                var text = context.RequiredString(element, "dockerRepository", path);
                var identity = ParseReference(context, text, $"{path}.dockerRepository");
                if (!identity.IsNameOnly)
                {
                    throw context.Error($"{path}.dockerRepository", $"\"{text}\" must be a repository without tag or digest");
                }

                return new SignedIdentityRule { Kind = SignedIdentityKind.ExactRepository, DockerRepository = identity.Name };
            }

            case "remapIdentity":
            {
                context.OnlyFields(element, path, "type", "prefix", "signedPrefix");
                var prefix = context.RequiredString(element, "prefix", path);
                var signedPrefix = context.RequiredString(element, "signedPrefix", path);
                ValidatePrefix(context, prefix, $"{path}.prefix");
                ValidatePrefix(context, signedPrefix, $"{path}.signedPrefix");
                return new SignedIdentityRule { Kind = SignedIdentityKind.RemapIdentity, Prefix = prefix, SignedPrefix = signedPrefix };
            }

            default:
                throw context.Error($"{path}.type", $"unknown signedIdentity type \"{type}\" (expected matchRepoDigestOrExact, matchRepository, exactReference, exactRepository or remapIdentity)");
        }
    }

    private static DockerIdentity ParseReference(ParseContext context, string text, string path)
    {
        try
        {
            var identity = DockerIdentity.Parse(text);
            return identity.ToString() == text ? identity : throw context.Error(path, $"\"{text}\" must be written fully expanded as {identity}");
        }
        catch (FormatException ex) when (ex is not PolicyFormatException)
        {
            throw context.Error(path, ex.Message);
        }
    }

    private static void ValidatePrefix(ParseContext context, string prefix, string path)
    {
        // A prefix is a host[:port], or a host[:port]/namespace without tag or digest.
        if (PolicyScopes.Validate(prefix) is { } problem || prefix.Length == 0 || prefix.StartsWith("*.", StringComparison.Ordinal)
            || prefix.Contains('@', StringComparison.Ordinal) || (prefix.Contains('/', StringComparison.Ordinal) && !DockerIdentity.Parse(prefix).IsNameOnly))
        {
            throw context.Error(path, $"\"{prefix}\" is not a valid prefix (host[:port] or host[:port]/namespace, without tag or digest)");
        }
    }

    private sealed class ParseContext(string source, string baseDirectory)
    {
        public string Source { get; } = source;

        public string BaseDirectory { get; } = baseDirectory;

        public PolicyFormatException Error(string path, string message) => new($"{Source}: {path}: {message}");

        public void Expect(JsonElement element, JsonValueKind kind, string path)
        {
            if (element.ValueKind != kind)
            {
                throw Error(path, $"must be a JSON {(kind == JsonValueKind.Array ? "array" : "object")}, not {element.ValueKind.ToString().ToLowerInvariant()}");
            }
        }

        public void OnlyFields(JsonElement element, string path, params string[] allowed)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (!allowed.Contains(property.Name, StringComparer.Ordinal))
                {
                    throw Error($"{path}.{property.Name}", $"unknown field (allowed here: {string.Join(", ", allowed)})");
                }
            }
        }

        public string RequiredString(JsonElement element, string name, string path)
        {
            if (!element.TryGetProperty(name, out var value))
            {
                throw Error($"{path}.{name}", "missing");
            }

            return value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
                ? text
                : throw Error($"{path}.{name}", "must be a non-empty string");
        }

        public List<string> StringArray(JsonElement element, string path)
        {
            Expect(element, JsonValueKind.Array, path);
            var values = new List<string>();
            var index = 0;
            foreach (var item in element.EnumerateArray())
            {
                values.Add(item.ValueKind == JsonValueKind.String && item.GetString() is { Length: > 0 } text
                    ? text
                    : throw Error($"{path}[{index}]", "must be a non-empty string"));
                index++;
            }

            return values.Count > 0 ? values : throw Error(path, "must not be empty");
        }
    }
}
