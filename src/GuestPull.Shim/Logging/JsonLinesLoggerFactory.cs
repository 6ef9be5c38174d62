using Microsoft.Extensions.Logging;

namespace GuestPull.Shim.Logging;

/// <summary>
/// The shim daemon's log: one JSON object per line (time, level, msg, category, error) written to
/// containerd's <c>log</c> fifo in the bundle, or to a file. Writes never block and never throw: a log
/// line that cannot be written (no reader, full pipe) is dropped rather than stalling the shim.
/// </summary>
internal sealed class JsonLinesLoggerFactory : ILoggerFactory
{
    private readonly LogSink _sink;
    private readonly LogLevel _minimum;

    public JsonLinesLoggerFactory(LogSink sink, LogLevel minimum)
    {
        _sink = sink;
        _minimum = minimum;
    }

    public ILogger CreateLogger(string categoryName) => new JsonLinesLogger(_sink, categoryName, _minimum);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("the shim's logger takes no providers");

    public void Dispose() => _sink.Dispose();
}
