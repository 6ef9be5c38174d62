using Microsoft.Extensions.Logging;

namespace GuestPull.Cli.Hosting;

/// <summary>Logging for one-shot commands: plain lines on stderr, so stdout stays the command's output.</summary>
internal static class CliLogging
{
    public static ILoggerFactory Create(LogLevel minimum) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(minimum);
        builder.AddConsole(o =>
        {
            o.LogToStandardErrorThreshold = LogLevel.Trace;
            o.FormatterName = CliLogFormatter.FormatterName;
        });
        builder.AddConsoleFormatter<CliLogFormatter, Microsoft.Extensions.Logging.Console.ConsoleFormatterOptions>();
    });
}
