namespace GuestPull.Oci.Registry.Auth;

/// <summary>
/// One challenge of a <c>WWW-Authenticate</c> header (RFC 7235): a scheme such as
/// <c>Bearer</c> or <c>Basic</c> with either auth parameters or a token68.
/// </summary>
public sealed class AuthChallenge
{
    internal AuthChallenge(string scheme, string? token68, IReadOnlyDictionary<string, string> parameters)
    {
        Scheme = scheme;
        Token68 = token68;
        Parameters = parameters;
    }

    /// <summary>The scheme as the server spelled it; compare it with <see cref="IsScheme"/>.</summary>
    public string Scheme { get; }

    /// <summary>The token68 form of the challenge's data, when it used that instead of parameters.</summary>
    public string? Token68 { get; }

    /// <summary>The auth parameters, unquoted; names compare case-insensitively.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; }

    /// <summary>The <c>realm</c> parameter: the token endpoint URL for Bearer.</summary>
    public string? Realm => Parameter("realm");

    /// <summary>The <c>service</c> parameter, passed back to the token endpoint.</summary>
    public string? Service => Parameter("service");

    /// <summary>The <c>scope</c> parameter (space-separated scopes), passed back to the token endpoint.</summary>
    public string? Scope => Parameter("scope");

    /// <summary>Parses a <c>WWW-Authenticate</c> header value, which may hold several challenges.</summary>
    /// <param name="headerValue">The header's value.</param>
    /// <returns>The challenges in header order; never empty.</returns>
    /// <exception cref="FormatException">The value is malformed; the message quotes it.</exception>
    public static IReadOnlyList<AuthChallenge> Parse(string headerValue)
    {
        ArgumentNullException.ThrowIfNull(headerValue);
        return new AuthChallengeParser(headerValue).ParseAll();
    }

    /// <summary>Whether this challenge uses <paramref name="scheme"/>, ignoring case as RFC 7235 says.</summary>
    /// <param name="scheme">A scheme name such as <c>Bearer</c>.</param>
    /// <returns><see langword="true"/> when the schemes match.</returns>
    public bool IsScheme(string scheme) => string.Equals(Scheme, scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Renders the challenge for diagnostics.</summary>
    /// <returns>The scheme and its data.</returns>
    public override string ToString() =>
        Token68 is not null
            ? $"{Scheme} {Token68}"
            : Parameters.Count == 0 ? Scheme : $"{Scheme} {string.Join(", ", Parameters.Select(p => $"{p.Key}=\"{p.Value}\""))}";

    private string? Parameter(string name) => Parameters.TryGetValue(name, out var value) ? value : null;
}
