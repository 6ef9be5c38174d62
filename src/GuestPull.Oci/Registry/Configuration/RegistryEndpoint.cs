namespace GuestPull.Oci.Registry.Configuration;

/// <summary>One place to try pulling a repository from.</summary>
/// <param name="Host">The API host, <c>host[:port]</c>.</param>
/// <param name="Repository">The repository path on that host (rewritten when the configuration relocates it).</param>
/// <param name="Insecure">Plain HTTP (and unverified TLS) is allowed.</param>
/// <param name="IsMirror">The endpoint is a mirror, not the registry itself; credentials for the registry must not be sent to it.</param>
/// <param name="HttpFallback">
/// HTTPS is tried first, and plain HTTP is used instead when the server turns out to speak no TLS: a
/// loopback registry (<c>localhost</c>, 127.0.0.0/8, ::1) on a port other than 443 that nothing
/// configures as secure or insecure, as containerd's CRI treats one. Never set for any other host.
/// </param>
public sealed record RegistryEndpoint(string Host, string Repository, bool Insecure, bool IsMirror, bool HttpFallback = false);
