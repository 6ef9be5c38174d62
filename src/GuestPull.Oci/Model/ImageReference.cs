using System.Text.RegularExpressions;

namespace GuestPull.Oci.Model;

/// <summary>
/// A parsed, normalised image reference: <c>registry/repository[:tag][@digest]</c>. Parsing follows
/// Docker's rules: a first path component without <c>.</c> or <c>:</c> that is not <c>localhost</c> is
/// not a registry, so <c>busybox</c> becomes <c>docker.io/library/busybox:latest</c>.
/// </summary>
public sealed partial class ImageReference : IEquatable<ImageReference>
{
    /// <summary>The Docker Hub registry name used in normalised references.</summary>
    public const string DockerHub = "docker.io";

    private const int MaxNameLength = 255;

    private ImageReference(string registry, string repository, string? tag, Digest? digest, bool isShortName)
    {
        Registry = registry;
        Repository = repository;
        Tag = tag;
        Digest = digest;
        IsShortName = isShortName;
    }

    /// <summary>The registry host, with port when given (<c>docker.io</c>, <c>localhost:5000</c>).</summary>
    public string Registry { get; }

    /// <summary>The repository path inside the registry (<c>library/busybox</c>).</summary>
    public string Repository { get; }

    /// <summary>The tag, if the reference has one (a digest-only reference has none).</summary>
    public string? Tag { get; }

    /// <summary>The digest, if the reference pins one.</summary>
    public Digest? Digest { get; }

    /// <summary>Whether the registry was not written in the reference and was filled in.</summary>
    public bool IsShortName { get; }

    /// <summary>The registry and repository: <c>docker.io/library/busybox</c>.</summary>
    public string Name => Registry + "/" + Repository;

    /// <summary>What goes after <c>/manifests/</c> in a URL: the digest when pinned, else the tag.</summary>
    public string ManifestReference => Digest?.ToString() ?? Tag!;

    /// <summary>Parses and normalises a reference.</summary>
    /// <exception cref="FormatException">The reference is not valid; the message says which part.</exception>
    public static ImageReference Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0)
        {
            throw new FormatException("invalid image reference: empty");
        }

        if (value.Length > 4096 || value.Any(char.IsWhiteSpace))
        {
            throw new FormatException($"invalid image reference \"{Shorten(value)}\": contains white space or is too long");
        }

        var rest = value;
        Digest? digest = null;
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            var digestText = rest[(at + 1)..];
            if (!Model.Digest.TryParse(digestText, out var parsed))
            {
                throw new FormatException($"invalid image reference \"{Shorten(value)}\": {GetDigestError(digestText)}");
            }

            digest = parsed;
            rest = rest[..at];
        }

        string? tag = null;
        var lastSlash = rest.LastIndexOf('/');
        var lastColon = rest.LastIndexOf(':');
        if (lastColon > lastSlash)
        {
            tag = rest[(lastColon + 1)..];
            rest = rest[..lastColon];
            if (!TagPattern().IsMatch(tag))
            {
                throw new FormatException($"invalid image reference \"{Shorten(value)}\": invalid tag \"{Shorten(tag)}\" (letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-')");
            }
        }

        var (registry, repository, isShort) = SplitRegistry(rest, value);
        if (registry is "index.docker.io")
        {
            registry = DockerHub;
        }

        if (registry == DockerHub && !repository.Contains('/', StringComparison.Ordinal))
        {
            repository = "library/" + repository;
        }

        foreach (var component in repository.Split('/'))
        {
            if (!PathComponentPattern().IsMatch(component))
            {
                var hint = component.Any(char.IsUpper) ? " (repository names must be lower case)" : string.Empty;
                throw new FormatException($"invalid image reference \"{Shorten(value)}\": invalid repository component \"{Shorten(component)}\"{hint}");
            }
        }

        if (registry.Length + 1 + repository.Length > MaxNameLength)
        {
            throw new FormatException($"invalid image reference \"{Shorten(value)}\": name longer than {MaxNameLength} characters");
        }

        if (tag is null && digest is null)
        {
            tag = "latest";
        }

        return new ImageReference(registry, repository, tag, digest, isShort);
    }

    /// <summary>Parses a reference without throwing.</summary>
    public static bool TryParse(string? value, out ImageReference? reference)
    {
        try
        {
            reference = value is null ? null : Parse(value);
            return reference is not null;
        }
        catch (FormatException)
        {
            reference = null;
            return false;
        }
    }

    /// <summary>The same repository, pinned to <paramref name="digest"/> (the tag is kept).</summary>
    public ImageReference WithDigest(Digest digest) => new(Registry, Repository, Tag, digest, IsShortName);

    /// <summary>The same repository with another tag and no digest.</summary>
    public ImageReference WithTag(string tag) => Parse(Name + ":" + tag);

    /// <summary>The same name on another registry (for unqualified-search registries).</summary>
    public ImageReference WithRegistry(string registry)
    {
        var repository = Registry == DockerHub && registry != DockerHub && Repository.StartsWith("library/", StringComparison.Ordinal) && IsShortName
            ? Repository["library/".Length..]
            : Repository;
        var text = registry + "/" + repository + (Tag is null ? string.Empty : ":" + Tag) + (Digest is null ? string.Empty : "@" + Digest);
        return Parse(text);
    }

    /// <summary>The full normalised form: <c>docker.io/library/busybox:latest</c>, with <c>@digest</c> when pinned.</summary>
    public override string ToString() =>
        Name + (Tag is null ? string.Empty : ":" + Tag) + (Digest is null ? string.Empty : "@" + Digest);

    /// <inheritdoc />
    public bool Equals(ImageReference? other) => other is not null && ToString() == other.ToString();

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ImageReference);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());

    private static (string Registry, string Repository, bool IsShort) SplitRegistry(string name, string original)
    {
        if (name.Length == 0)
        {
            throw new FormatException($"invalid image reference \"{Shorten(original)}\": missing repository name");
        }

        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return (DockerHub, name, true);
        }

        var first = name[..slash];
        var looksLikeHost = first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal)
            || first == "localhost" || first.Any(char.IsUpper);
        if (!looksLikeHost)
        {
            return (DockerHub, name, true);
        }

        if (!HostPattern().IsMatch(first))
        {
            throw new FormatException($"invalid image reference \"{Shorten(original)}\": invalid registry host \"{Shorten(first)}\"");
        }

        var repository = name[(slash + 1)..];
        if (repository.Length == 0)
        {
            throw new FormatException($"invalid image reference \"{Shorten(original)}\": missing repository name after the registry");
        }

        return (first, repository, false);
    }

    private static string GetDigestError(string digestText)
    {
        try
        {
            Model.Digest.Parse(digestText);
            return "invalid digest";
        }
        catch (FormatException ex)
        {
            return ex.Message;
        }
    }

    private static string Shorten(string value) => value.Length > 100 ? value[..100] + "…" : value;

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex PathComponentPattern();

    [GeneratedRegex(@"^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]{1,5})?$", RegexOptions.CultureInvariant)]
    private static partial Regex HostPattern();
}
