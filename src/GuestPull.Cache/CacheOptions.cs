using GuestPull.Oci.Registry;
using Microsoft.Extensions.Logging;

namespace GuestPull.Cache;

/// <summary>Settings of <c>guestpull cache</c>.</summary>
public sealed record CacheOptions
{
    /// <summary>The address the default listener binds when none is given.</summary>
    public const string DefaultListen = "127.0.0.1:5050";

    /// <summary>The store directory used when none is given.</summary>
    public const string DefaultRoot = "/var/lib/guestpull/cache";

    /// <summary>The size limit used when none is given: 10 GiB.</summary>
    public const long DefaultMaxSize = 10L << 30;

    /// <summary><c>HOST:PORT</c> to serve on (port 0 picks a free one; <see cref="RunningCache.Address"/> tells which).</summary>
    public string Listen { get; init; } = DefaultListen;

    /// <summary>Where entries are kept.</summary>
    public string Root { get; init; } = DefaultRoot;

    /// <summary>Least recently used entries are evicted while the cache holds more than this many bytes.</summary>
    public long MaxSize { get; init; } = DefaultMaxSize;

    /// <summary>How upstream registries are reached: the node's registries.conf, credentials, CAs.</summary>
    public RegistryClientOptions Upstream { get; init; } = new();

    /// <summary>The least severe level logged.</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Log to standard output instead of standard error.</summary>
    public bool LogToStdout { get; init; }
}
