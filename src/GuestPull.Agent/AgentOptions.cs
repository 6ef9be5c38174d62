namespace GuestPull.Agent;

/// <summary>What <c>guestpull agent</c> is started with.</summary>
public sealed class AgentOptions
{
    /// <summary>The ttrpc address to serve, <c>unix:///path</c> or a plain path (a unix socket), or <c>serial:///dev/...</c> (a virtio-serial port).</summary>
    public required string Listen { get; init; }

    /// <summary>The agent's TOML configuration file; null for the defaults.</summary>
    public string? ConfigFile { get; init; }
}
