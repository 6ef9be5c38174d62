using System.Net;

namespace GuestPull.Agent.Configuration;

/// <summary>The agent's resolved configuration.</summary>
internal sealed record AgentSettings
{
    public const string DefaultImageRoot = "/run/kata-containers/image";
    public const string DefaultBundleRoot = "/run/kata-containers";
    public const string DefaultRuncRoot = "/run/guestpull-agent/runc";
    public const string DefaultRuncPath = "runc";
    public const int DefaultPullTimeoutSeconds = 1200;
    public const int DefaultPullConcurrency = 3;

    /// <summary>
    /// The shim holds one connection per sandbox, a debugging client one more: 64 leaves room for
    /// reconnects while connections that pile up (each holds memory) are turned away.
    /// </summary>
    public const int DefaultMaxConnections = 64;

    /// <summary>
    /// Kata's guest shared directory: where Kata's runtime copies the files a container mounts when
    /// the guest shares no file system with the host. (Kata's agent itself accepts any path under its
    /// CONTAINER_BASE, /run/kata-containers; this agent confines copies to where they are meant to go.)
    /// </summary>
    public const string DefaultCopyRoot = "/run/kata-containers/shared/containers";

    /// <summary>Where the layer store lives (Kata: /run/kata-containers/image).</summary>
    public string ImageRoot { get; init; } = DefaultImageRoot;

    /// <summary>Where bundles go: <c>&lt;bundle_root&gt;/&lt;container id&gt;</c>.</summary>
    public string BundleRoot { get; init; } = DefaultBundleRoot;

    /// <summary>registries.conf; null for the containers-registries defaults.</summary>
    public string? RegistriesConf { get; init; }

    /// <summary>auth.json; null for the default locations.</summary>
    public string? AuthFile { get; init; }

    /// <summary>host:port registries reached over plain HTTP.</summary>
    public IReadOnlyList<string> InsecureRegistries { get; init; } = [];

    /// <summary>containers-policy.json enforced on every pull (cached images included); null pulls without checking signatures.</summary>
    public string? Policy { get; init; }

    /// <summary>containers-registries.d directory naming lookaside signature stores; null for /etc/containers/registries.d.</summary>
    public string? RegistriesD { get; init; }

    /// <summary>JWE private keys for encrypted (ocicrypt) layers, each <c>PATH[:PASSWORD]</c> as skopeo's <c>--decryption-key</c>.</summary>
    public IReadOnlyList<string> DecryptionKeys { get; init; } = [];

    /// <summary>ocicrypt's key provider config (JSON); null reads <c>$OCICRYPT_KEYPROVIDER_CONFIG</c> when set.</summary>
    public string? KeyProviderConfig { get; init; }

    public int PullConcurrency { get; init; } = DefaultPullConcurrency;

    /// <summary>The largest uncompressed layer a pull accepts; null bounds each layer by the free space of the image store's file system when it starts.</summary>
    public long? MaxLayerSize { get; init; }

    public TimeSpan PullTimeout { get; init; } = TimeSpan.FromSeconds(DefaultPullTimeoutSeconds);

    public string RuncPath { get; init; } = DefaultRuncPath;

    public string RuncRoot { get; init; } = DefaultRuncRoot;

    /// <summary>The static binary the built-in pause bundle runs (as <c>busybox sleep infinity</c>).</summary>
    public string PauseBinary { get; init; } = "/bin/busybox";

    /// <summary>
    /// Where the host shares root filesystems it unpacked itself (images not pulled in the guest); a
    /// container without storage may only name a <c>root.path</c> below it. Null: every container's
    /// rootfs must be pulled in the guest.
    /// </summary>
    public string? HostRootfsRoot { get; init; }

    /// <summary>The only directory CopyFile writes below; created on the first copy.</summary>
    public string CopyRoot { get; init; } = DefaultCopyRoot;

    /// <summary>
    /// Where registries named by a loopback host (<c>localhost</c>, 127.0.0.0/8, ::1) are dialled
    /// instead: the host as a VM's user-mode network reaches it (QEMU's 10.0.2.2). Null: loopback is
    /// the guest's own.
    /// </summary>
    public IPAddress? LoopbackGateway { get; init; }

    /// <summary>
    /// <c>host:port</c> of the node cache (<c>guestpull cache</c>), tried first for blobs and manifests
    /// by digest; anything it serves is verified like the registry's, and a bad copy is fetched again
    /// from the registry. A loopback host is dialled through <see cref="LoopbackGateway"/>. Null: none.
    /// </summary>
    public string? NodeCache { get; init; }

    /// <summary>How many ttrpc connections the agent serves at once; one more is closed when accepted.</summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>
    /// How long a connection may stay idle (no call in flight, nothing received) before the agent closes
    /// it; infinite (the default) never closes one, since the shim keeps its single connection for the
    /// sandbox's life and does not reconnect.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>Unknown keys, for the log.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
