namespace GuestPull.Agent.ConfidentialDataHub;

/// <summary>The resolved cdh.toml: where to listen, the image settings, and what was accepted but is not served.</summary>
internal sealed record CdhSettings
{
    /// <summary>Where kata-agent looks for confidential-data-hub's socket.</summary>
    public const string DefaultSocket = "unix:///run/confidential-containers/cdh.sock";

    /// <summary>The ttrpc address served (<c>socket</c>).</summary>
    public string Socket { get; init; } = DefaultSocket;

    /// <summary>The image service's settings.</summary>
    public CdhImageSettings Image { get; init; } = new();

    /// <summary>Unknown keys and sections accepted but not served, for the log.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
