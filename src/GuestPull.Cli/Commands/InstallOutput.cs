using GuestPull.Install;

namespace GuestPull.Cli.Commands;

/// <summary>Prints what install or uninstall did: steps to stdout, warnings to stderr.</summary>
internal static class InstallOutput
{
    public static async Task WriteAsync(InstallReport report)
    {
        foreach (var step in report.Steps)
        {
            await Console.Out.WriteLineAsync("  " + step).ConfigureAwait(false);
        }
        foreach (var warning in report.Warnings)
        {
            await Console.Error.WriteLineAsync("warning: " + warning).ConfigureAwait(false);
        }
    }
}
