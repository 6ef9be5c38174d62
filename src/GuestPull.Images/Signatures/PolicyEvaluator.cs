using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestPull.Images.Signatures;

/// <summary>
/// Evaluates a <see cref="SignaturePolicy"/> for a resolved image: picks the scope for the image's
/// own name (the name asked for, never a mirror's), then runs every requirement of that scope; all
/// must pass. Signatures are fetched only by the requirements that need them — sigstore
/// attachments from the image's registry, simple signatures from the registries.d lookaside — and
/// may cover either the index the reference names or the platform manifest chosen from it.
/// </summary>
public sealed partial class PolicyEvaluator : IDisposable
{
    private readonly SignaturePolicy _policy;
    private readonly RegistriesDirectory _registriesDirectory;
    private readonly RegistryClient? _registry;
    private readonly ILogger _logger;
    private readonly Lazy<HttpClient> _http = new(() => new HttpClient { Timeout = TimeSpan.FromSeconds(60) });

    /// <summary>Creates an evaluator.</summary>
    /// <param name="policy">The policy.</param>
    /// <param name="registriesDirectory">Lookaside settings for simple signing; none when null.</param>
    /// <param name="registry">Fetches sigstore attachments; without it sigstoreSigned finds no signature.</param>
    /// <param name="logger">Logs decisions.</param>
    public PolicyEvaluator(SignaturePolicy policy, RegistriesDirectory? registriesDirectory, RegistryClient? registry, ILogger<PolicyEvaluator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _policy = policy;
        _registriesDirectory = registriesDirectory ?? RegistriesDirectory.Empty;
        _registry = registry;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The policy being enforced.</summary>
    public SignaturePolicy Policy => _policy;

    /// <summary>Evaluates the policy for an image resolved by <see cref="RegistryClient.ResolveImageAsync"/>.</summary>
    public Task<PolicyDecision> EvaluateAsync(ResolvedImage image, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        return EvaluateAsync(image.Reference, image.Index, image.ManifestDocument, cancellationToken);
    }

    /// <summary>
    /// Evaluates the policy for <paramref name="reference"/> whose verified documents are
    /// <paramref name="index"/> (when the reference names one) and <paramref name="manifest"/>.
    /// Missing or bad signatures give a rejection, not an exception.
    /// </summary>
    public async Task<PolicyDecision> EvaluateAsync(ImageReference reference, ManifestDocument? index, ManifestDocument manifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(manifest);
        var candidates = new List<ManifestCandidate>();
        if (index is not null)
        {
            candidates.Add(new ManifestCandidate("index", index.Digest, index.Bytes));
        }

        if (index is null || index.Digest != manifest.Digest)
        {
            candidates.Add(new ManifestCandidate(index is null ? "manifest" : "platform manifest", manifest.Digest, manifest.Bytes));
        }

        var (scope, requirements) = _policy.RequirementsFor(reference);
        var context = new SignatureContext(reference, candidates, _registry, _registriesDirectory, () => _http.Value);
        var passed = new List<RequirementResult>();
        for (var i = 0; i < requirements.Count; i++)
        {
            var requirement = requirements[i];
            var name = requirements.Count == 1 ? requirement.TypeName : $"{requirement.TypeName} [{i}]";
            var result = await requirement.EvaluateAsync(context, cancellationToken).ConfigureAwait(false);
            if (!result.Passed)
            {
                var rejection = new PolicyDecision { Accepted = false, Scope = scope, Requirement = name, Reason = result.Reason };
                LogRejected(_logger, reference.ToString(), rejection.ToString());
                return rejection;
            }

            passed.Add(result);
        }

        var decision = new PolicyDecision
        {
            Accepted = true,
            Scope = scope,
            Requirement = string.Join(" + ", requirements.Select(r => r.TypeName)),
            Reason = string.Join("; ", passed.Select(r => r.Reason)),
        };
        LogAccepted(_logger, reference.ToString(), decision.ToString());
        return decision;
    }

    /// <summary>Evaluates and throws <see cref="PolicyRejectedException"/> unless the image is accepted.</summary>
    public async Task<PolicyDecision> EnforceAsync(ImageReference reference, ManifestDocument? index, ManifestDocument manifest, CancellationToken cancellationToken)
    {
        var decision = await EvaluateAsync(reference, index, manifest, cancellationToken).ConfigureAwait(false);
        return decision.Accepted ? decision : throw new PolicyRejectedException(reference.ToString(), decision);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_http.IsValueCreated)
        {
            _http.Value.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "signature policy for {Image}: {Decision}")]
    private static partial void LogAccepted(ILogger logger, string image, string decision);

    [LoggerMessage(Level = LogLevel.Warning, Message = "signature policy for {Image}: {Decision}")]
    private static partial void LogRejected(ILogger logger, string image, string decision);
}
