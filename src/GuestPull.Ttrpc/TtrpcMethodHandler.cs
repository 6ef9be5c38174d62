namespace GuestPull.Ttrpc;

/// <summary>Serves one ttrpc method from the serialized request to the serialized response.</summary>
/// <param name="context">The call's service, method, metadata and deadline.</param>
/// <param name="request">The serialized request message.</param>
/// <param name="cancellationToken">Cancelled when the deadline passes, the client disconnects or the server shuts down.</param>
/// <returns>The serialized response message.</returns>
public delegate Task<ReadOnlyMemory<byte>> TtrpcMethodHandler(
    TtrpcRequestContext context, ReadOnlyMemory<byte> request, CancellationToken cancellationToken);
