using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;

namespace GuestPull.Images.Signatures;

/// <summary>
/// The image under evaluation and lazy, per-evaluation caches of its signatures, so several
/// requirements of one scope fetch each signature once, and an image whose scope needs none
/// causes no signature request at all.
/// </summary>
internal sealed class SignatureContext
{
    private readonly RegistryClient? _registry;
    private readonly RegistriesDirectory _registriesDirectory;
    private readonly Func<HttpClient> _http;
    private readonly Dictionary<Digest, FetchedSignatures<SigstoreSignature>> _sigstore = [];
    private readonly Dictionary<Digest, FetchedSignatures<byte[]>> _lookaside = [];

    public SignatureContext(ImageReference reference, IReadOnlyList<ManifestCandidate> candidates, RegistryClient? registry, RegistriesDirectory registriesDirectory, Func<HttpClient> http)
    {
        Reference = reference;
        Identity = DockerIdentity.FromImage(reference);
        Candidates = candidates;
        _registry = registry;
        _registriesDirectory = registriesDirectory;
        _http = http;
    }

    /// <summary>The image's own name (never a mirror's), as asked for.</summary>
    public ImageReference Reference { get; }

    public DockerIdentity Identity { get; }

    public IReadOnlyList<ManifestCandidate> Candidates { get; }

    public string DescribeCandidates() => string.Join(" or ", Candidates);

    public async Task<FetchedSignatures<SigstoreSignature>> GetSigstoreSignaturesAsync(ManifestCandidate candidate, CancellationToken cancellationToken)
    {
        if (!_sigstore.TryGetValue(candidate.Digest, out var fetched))
        {
            fetched = _registry is null
                ? new FetchedSignatures<SigstoreSignature>([], "the registry", "no registry client to fetch sigstore signatures with")
                : await SigstoreSignatureFetcher.FetchAsync(_registry, Reference, candidate.Digest, cancellationToken).ConfigureAwait(false);
            _sigstore[candidate.Digest] = fetched;
        }

        return fetched;
    }

    public async Task<FetchedSignatures<byte[]>> GetSimpleSignaturesAsync(ManifestCandidate candidate, CancellationToken cancellationToken)
    {
        if (!_lookaside.TryGetValue(candidate.Digest, out var fetched))
        {
            var (lookaside, entry) = _registriesDirectory.LookasideFor(PolicyScopes.For(Reference));
            fetched = lookaside is null
                ? new FetchedSignatures<byte[]>([], "a lookaside store", $"no lookaside store is configured for {Reference.Name} in registries.d (neither a docker namespace entry nor default-docker)")
                : await LookasideSignatureFetcher.FetchAsync(lookaside, Reference, candidate.Digest, _http, cancellationToken).ConfigureAwait(false) with { Location = $"{entry}: {LookasideSignatureFetcher.SignatureUri(lookaside, Reference, candidate.Digest, 1)}" };
            _lookaside[candidate.Digest] = fetched;
        }

        return fetched;
    }
}
