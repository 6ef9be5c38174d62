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
    };

    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "same as --log-level Debug",
    };

    /// <summary>Adds the options to a command (not to the root: the daemons have their own --log-level).</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(LogLevel);
        command.Options.Add(Verbose);
    }

    public LogLevel GetLevel(ParseResult result) =>
        result.GetValue(Verbose) ? Microsoft.Extensions.Logging.LogLevel.Debug : result.GetValue(LogLevel);
}
