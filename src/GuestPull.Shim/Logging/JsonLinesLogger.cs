using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace GuestPull.Shim.Logging;

/// <summary>One category's logger of <see cref="JsonLinesLoggerFactory"/>.</summary>
internal sealed class JsonLinesLogger : ILogger
{
    private readonly LogSink _sink;
    private readonly string _category;
    private readonly LogLevel _minimum;

    public JsonLinesLogger(LogSink sink, string category, LogLevel minimum)
    {
        _sink = sink;
        _category = category;
        _minimum = minimum;
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= _minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", DateTimeOffset.UtcNow);
            json.WriteString("level", LevelName(logLevel));
            json.WriteString("msg", formatter(state, exception));
            json.WriteString("category", _category);
            if (exception is not null)
            {
                json.WriteString("error", exception.ToString());
            }

            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        _sink.Write(buffer.ToArray());
    }

    // logrus' names, which containerd's log readers expect.
    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warning",
        LogLevel.Error => "error",
        _ => "fatal",
    };
}
