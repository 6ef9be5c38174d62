using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace GuestPull.Cli.Hosting;

/// <summary>Logging for one-shot commands: plain lines on stderr, so stdout stays the command's output.</summary>
internal static class CliLogging
{
    /// <summary>
    /// Logging for daemons (the agent): JSON lines on stderr when it is not a terminal, so a
    /// journal or a log collector gets structured fields; readable lines at a terminal.
    /// </summary>
    public static ILoggerFactory CreateForDaemon(LogLevel minimum) => Console.IsErrorRedirected
        ? LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(minimum);
            builder.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
            builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        })
        : Create(minimum);

    public static ILoggerFactory Create(LogLevel minimum) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(minimum);
        builder.AddConsole(o =>
        {
            o.LogToStandardErrorThreshold = LogLevel.Trace;
            o.FormatterName = CliLogFormatter.FormatterName;
        });
        // Registered as a plain service rather than with AddConsoleFormatter, which binds the formatter's
        // options from configuration by reflection (none is configured here) and so is not NativeAOT-safe:
        // the NativeAOT guestpull-agent shares this file.
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ConsoleFormatter, CliLogFormatter>());
    });
}
