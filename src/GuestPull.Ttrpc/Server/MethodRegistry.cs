using System.Collections.Concurrent;

namespace GuestPull.Ttrpc.Server;

/// <summary>The server's service → method → handler table; safe to extend while serving.</summary>
internal sealed class MethodRegistry
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, TtrpcMethodHandler>> _services =
        new(StringComparer.Ordinal);

    public void Add(string service, string method, TtrpcMethodHandler handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(handler);

        var methods = _services.GetOrAdd(service, _ => new ConcurrentDictionary<string, TtrpcMethodHandler>(StringComparer.Ordinal));
        if (!methods.TryAdd(method, handler))
        {
            throw new InvalidOperationException($"The ttrpc method {service}/{method} is already registered.");
        }
    }

    /// <exception cref="TtrpcException">Unimplemented, with upstream's messages "service X" and "method Y".</exception>
    public TtrpcMethodHandler Resolve(string service, string method)
    {
        if (!_services.TryGetValue(service, out var methods))
        {
            throw new TtrpcException(TtrpcStatusCode.Unimplemented, $"service {service}");
        }

        if (!methods.TryGetValue(method, out var handler))
        {
            throw new TtrpcException(TtrpcStatusCode.Unimplemented, $"method {method}");
        }

        return handler;
    }
}
