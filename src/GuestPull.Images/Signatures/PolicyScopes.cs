using GuestPull.Oci.Model;

namespace GuestPull.Images.Signatures;

/// <summary>
/// The policy and registries.d namespaces that can apply to an image, most specific first, as
/// containers/image orders them for the docker transport: the reference itself, the repository,
/// each parent namespace up to the registry host, then <c>*.</c> wildcards of the host's domains.
/// </summary>
internal static class PolicyScopes
{
    public static IReadOnlyList<string> For(ImageReference reference)
    {
        var scopes = new List<string> { reference.ToString() };
        if (reference.Digest is { } digest)
        {
            scopes.Add(reference.Name + "@" + digest);
        }

        if (reference.Tag is { } tag)
        {
            scopes.Add(reference.Name + ":" + tag);
        }

        var name = reference.Name;
        while (true)
        {
            scopes.Add(name);
            var slash = name.LastIndexOf('/');
            if (slash < 0)
            {
                break;
            }

            name = name[..slash];
        }

        var host = reference.Registry;
        if (!host.Contains(':', StringComparison.Ordinal))
        {
            var dot = host.IndexOf('.', StringComparison.Ordinal);
            while (dot >= 0)
            {
                scopes.Add("*" + host[dot..]);
                dot = host.IndexOf('.', dot + 1);
            }
        }

        return [.. scopes.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Null when <paramref name="scope"/> is a valid docker scope; otherwise why not.</summary>
    public static string? Validate(string scope)
    {
        if (scope.Length == 0)
        {
            return null;
        }

        if (scope.StartsWith("*.", StringComparison.Ordinal))
        {
            var domain = scope[2..];
            return domain.Length > 0 && !domain.Contains('*', StringComparison.Ordinal) && !domain.Contains('/', StringComparison.Ordinal) && !domain.Contains(':', StringComparison.Ordinal)
                ? null
                : "a wildcard scope must be \"*.\" followed by a domain";
        }

        var first = scope.Split('/')[0];
        var isHost = first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost";
        if (!isHost)
        {
            return "a scope must start with a registry host (write docker.io/library/busybox, not busybox)";
        }

        if (!scope.Contains('/', StringComparison.Ordinal))
        {
            return first.Any(char.IsWhiteSpace) ? "invalid host" : null;
        }

        try
        {
            var identity = DockerIdentity.Parse(scope);
            return identity.ToString() == scope ? null : $"write the scope fully expanded as {identity}";
        }
        catch (FormatException ex)
        {
            return ex.Message;
        }
    }
}
