using System.Collections.Concurrent;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry.Auth;
using GuestPull.Oci.Registry.Configuration;
using Microsoft.Extensions.Logging;

namespace GuestPull.Oci.Registry;

/// <summary>
/// One <see cref="RepositorySession"/> per endpoint and repository, kept for the client's lifetime so the
/// Authorization it earned is reused; each gets the credentials configured for its own host only, and all share
/// one token cache.
/// </summary>
internal sealed class RepositorySessions
{
    private readonly RegistryClientOptions _options;
    private readonly RegistryTransport _transport;
    private readonly TokenCache _tokens;
    private readonly PlainHttpFallback _fallback;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<(string Host, string Repository, bool Insecure), RepositorySession> _sessions = new();

    public RepositorySessions(RegistryClientOptions options, RegistryTransport transport, ILogger logger)
    {
        _options = options;
        _transport = transport;
        _logger = logger;
        _tokens = new TokenCache(options.TimeProvider);
        _fallback = new PlainHttpFallback(options);
    }

    /// <summary>The session for <paramref name="endpoint"/>, one of the sources registries.conf gives for <paramref name="reference"/>.</summary>
    public RepositorySession Get(ImageReference reference, RegistryEndpoint endpoint) =>
        _sessions.GetOrAdd((endpoint.Host, endpoint.Repository, endpoint.Insecure), key =>
        {
            var credential = FindCredential(key.Host, key.Repository, reference);
            return new RepositorySession(_transport, endpoint, credential, _tokens, _fallback, _logger);
        });

    private RegistryCredential? FindCredential(string host, string repository, ImageReference reference)
    {
        if (_options.ExplicitCredentials is not null)
        {
            var forHost = _options.ExplicitCredentialsHost ?? reference.Registry;
            if (string.Equals(forHost, host, StringComparison.OrdinalIgnoreCase)
                || (forHost == ImageReference.DockerHub && host == DockerHubNames.ApiHost))
            {
                return _options.ExplicitCredentials;
            }
        }

        var lookupHost = host == DockerHubNames.ApiHost ? ImageReference.DockerHub : host;
        return _options.AuthFile?.Find(lookupHost, repository);
    }
}
