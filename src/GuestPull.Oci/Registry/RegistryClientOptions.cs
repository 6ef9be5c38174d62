using System.Net;
using GuestPull.Oci.Registry.Auth;
using GuestPull.Oci.Registry.Configuration;

namespace GuestPull.Oci.Registry;

/// <summary>Settings of a <see cref="RegistryClient"/>.</summary>
public sealed record RegistryClientOptions
{
    /// <summary>Credentials by registry, from a containers/docker auth.json.</summary>
    public AuthFile? AuthFile { get; init; }

    /// <summary>Credentials given on the command line; they apply to <see cref="ExplicitCredentialsHost"/> only.</summary>
    public RegistryCredential? ExplicitCredentials { get; init; }

    /// <summary>The registry host (<c>host[:port]</c>) <see cref="ExplicitCredentials"/> belong to; never sent elsewhere (not to mirrors).</summary>
    public string? ExplicitCredentialsHost { get; init; }

    /// <summary>Mirrors, remapped locations, blocked and insecure registries.</summary>
    public RegistriesConfiguration Registries { get; init; } = RegistriesConfiguration.Empty;

    /// <summary>
    /// <c>HOST:PORT</c> of a node cache (<c>guestpull cache</c>): a digest-only mirror, over plain HTTP,
    /// tried first for every registry's blobs and manifests named by digest, with the registry as the
    /// first path component (<c>/v2/registry.example.com/library/busybox/blobs/…</c>). Unlike a
    /// registries.conf mirror it needs no entry per registry. Never sent credentials of a registry.
    /// </summary>
    public string? NodeCache { get; init; }

    /// <summary>A PEM file of extra CA certificates trusted in addition to the system roots.</summary>
    public string? CaFile { get; init; }

    /// <summary>Directories with per-registry CA files, as containers and Docker lay them out: <c>DIR/host:port/*.crt</c>.</summary>
    public IReadOnlyList<string> CertificateDirectories { get; init; } = ["/etc/containers/certs.d", "/etc/docker/certs.d"];

    /// <summary>
    /// Where to connect for a registry whose host is a loopback name or address (<c>localhost</c>,
    /// 127.0.0.0/8, ::1), on the registry's own port; null connects to loopback as usual. Inside a VM
    /// the node's loopback is not the guest's: this is the address at which the VM reaches the node
    /// (QEMU user networking's 10.0.2.2). Only the TCP connection changes: the request URI, the
    /// Host header, TLS server name and certificate checks, and credentials keep the registry's name.
    /// </summary>
    public IPAddress? LoopbackGateway { get; init; }

    /// <summary>How long to wait for a response's headers, per attempt.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a blob download may go without receiving a byte before it is dropped and resumed.</summary>
    public TimeSpan ReadIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Attempts per request on 5xx, 429 and dropped connections (1 = no retry).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The first backoff delay; it doubles each attempt, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest backoff, including one asked for with Retry-After.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many times one blob download is resumed with <c>Range</c> after the connection drops or stalls;
    /// null (the default) for <see cref="MaxAttempts"/> − 1, since a resume is one more attempt at the blob.
    /// </summary>
    public int? MaxBlobResumes { get; init; }

    /// <summary>The resume budget in force.</summary>
    internal int BlobResumes => MaxBlobResumes ?? Math.Max(0, MaxAttempts - 1);

    /// <summary>The largest manifest accepted (the distribution spec's 4 MiB).</summary>
    public int MaxManifestSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>The largest image config accepted.</summary>
    public int MaxConfigSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>The User-Agent sent.</summary>
    public string UserAgent { get; init; } = "guestpull/" + typeof(RegistryClientOptions).Assembly.GetName().Version?.ToString(3);

    /// <summary>The clock, for token expiry.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
