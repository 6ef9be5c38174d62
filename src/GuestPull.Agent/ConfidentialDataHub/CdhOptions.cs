namespace GuestPull.Agent.ConfidentialDataHub;

/// <summary>How <c>confidential-data-hub</c> was started.</summary>
public sealed class CdhOptions
{
    /// <summary>cdh.toml (<c>-c</c>); null: the defaults, with the image settings from the kernel command line.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>The kernel command line read when cdh.toml has no <c>[image]</c> section.</summary>
    public string KernelCommandLine { get; init; } = ConfidentialDataHub.KernelCommandLine.DefaultPath;
}
