using GuestPull.Oci.Model;

namespace GuestPull.Images.Signatures;

/// <summary>
/// A parsed containers-policy.json (containers-policy.json(5)): the <c>default</c> requirements and
/// per-transport scopes. Only the <c>docker</c> transport is consulted when pulling; other
/// transports are still validated so a typo anywhere is reported. Keys are loaded when the policy
/// is parsed, so a missing or unreadable key file is a configuration error, not a late rejection.
/// </summary>
public sealed class SignaturePolicy
{
    /// <summary>Where containers tools read the policy by default.</summary>
    public const string DefaultPath = "/etc/containers/policy.json";

    private readonly IReadOnlyList<PolicyRequirement> _default;
    private readonly IReadOnlyDictionary<string, IReadOnlyList<PolicyRequirement>> _docker;

    internal SignaturePolicy(string source, IReadOnlyList<PolicyRequirement> defaultRequirements, IReadOnlyDictionary<string, IReadOnlyList<PolicyRequirement>> docker)
    {
        Source = source;
        _default = defaultRequirements;
        _docker = docker;
    }

    /// <summary>The file (or label) the policy came from.</summary>
    public string Source { get; }

    /// <summary>Reads and validates a policy file; relative key paths are resolved against its directory.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="PolicyFormatException">The policy is malformed; the message names the field.</exception>
    public static SignaturePolicy Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"signature policy {full} does not exist", full);
        }

        return Parse(File.ReadAllBytes(full), full, Path.GetDirectoryName(full));
    }

    /// <summary>Parses and validates policy JSON.</summary>
    /// <param name="json">The policy document.</param>
    /// <param name="source">A name for messages.</param>
    /// <param name="baseDirectory">Relative key paths are resolved against this (the current directory when null).</param>
    /// <exception cref="PolicyFormatException">The policy is malformed; the message names the field.</exception>
    public static SignaturePolicy Parse(ReadOnlyMemory<byte> json, string source, string? baseDirectory = null) =>
        PolicyParser.Parse(json, source, baseDirectory ?? Directory.GetCurrentDirectory());

    /// <summary>The requirements for <paramref name="reference"/> and the scope they come from.</summary>
    internal (string Scope, IReadOnlyList<PolicyRequirement> Requirements) RequirementsFor(ImageReference reference)
    {
        foreach (var scope in PolicyScopes.For(reference))
        {
            if (_docker.TryGetValue(scope, out var requirements))
            {
                return ($"transports.docker[\"{scope}\"]", requirements);
            }
        }

        return _docker.TryGetValue(string.Empty, out var transportDefault)
            ? ("transports.docker[\"\"]", transportDefault)
            : ("default", _default);
    }
}
