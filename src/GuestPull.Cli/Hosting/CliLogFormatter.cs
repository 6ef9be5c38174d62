using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace GuestPull.Cli.Hosting;

/// <summary>
/// One line per message for one-shot commands, <c>guestpull: warning: …</c>, in the style of the
/// error line the commands print; the logger category is noise to a person at a terminal.
/// </summary>
internal sealed class CliLogFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "guestpull-cli";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message))
        {
            return;
        }

        var level = logEntry.LogLevel switch
        {
            LogLevel.Trace => "trace",
            LogLevel.Debug => "debug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warning",
            LogLevel.Error => "error",
            _ => "critical",
        };
        textWriter.Write("guestpull: ");
        textWriter.Write(level);
        textWriter.Write(": ");
        textWriter.WriteLine(message);
    }
}
