using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace GuestPull.Cli.Commands;

/// <summary>Options every command takes.</summary>
internal sealed class GlobalOptions
{
    public Option<LogLevel> LogLevel { get; } = new("--log-level")
    {
        Description = "least severe log level written to stderr",
        DefaultValueFactory = _ => Microsoft.Extensions.Logging.LogLevel.Warning,
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "same as --log-level Debug",
        Recursive = true,
    };

    public LogLevel GetLevel(ParseResult result) =>
        result.GetValue(Verbose) ? Microsoft.Extensions.Logging.LogLevel.Debug : result.GetValue(LogLevel);
}
