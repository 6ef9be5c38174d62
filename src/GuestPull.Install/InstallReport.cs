namespace GuestPull.Install;

/// <summary>What an install or uninstall did, step by step, for the CLI to print.</summary>
public sealed class InstallReport
{
    private readonly List<string> _steps = [];
    private readonly List<string> _warnings = [];

    /// <summary>The steps done, in order, one line each.</summary>
    public IReadOnlyList<string> Steps => _steps;

    /// <summary>Things the operator should know about (nothing failed).</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>containerd's config before the edit (null: not edited).</summary>
    public string? ConfigBefore { get; internal set; }

    /// <summary>containerd's config after the edit.</summary>
    public string? ConfigAfter { get; internal set; }

    internal void Step(string line) => _steps.Add(line);

    internal void Warn(string line) => _warnings.Add(line);
}
