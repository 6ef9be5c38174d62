using Google.Protobuf;

namespace GuestPull.Api.Ttrpc;

/// <summary>
/// One ttrpc connection as the typed clients of this assembly see it. The transport lives in
/// GuestPull.Ttrpc, which depends on this assembly for the envelope messages; the clients here depend
/// only on this interface, the way gRPC's generated clients depend on a call invoker.
/// </summary>
public interface ITtrpcChannel : IAsyncDisposable
{
    /// <summary>Completes when the connection closes, for whatever reason.</summary>
    Task Completion { get; }

    /// <summary>Makes one unary call and parses its response.</summary>
    /// <typeparam name="TRequest">The request message.</typeparam>
    /// <typeparam name="TResponse">The response message.</typeparam>
    /// <param name="service">The full service name, such as <c>guestpull.agent.v1.Agent</c>.</param>
    /// <param name="method">The method name.</param>
    /// <param name="request">The request.</param>
    /// <param name="timeout">How long the call may take (also sent to the server), or null for no limit.</param>
    /// <param name="cancellationToken">Abandons the call.</param>
    /// <returns>The server's response.</returns>
    Task<TResponse> UnaryCallAsync<TRequest, TResponse>(string service, string method, TRequest request, TimeSpan? timeout, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new();
}
