using Google.Protobuf.WellKnownTypes;

namespace GuestPull.Ttrpc;

/// <summary>
/// A ttrpc call that ended with a status other than OK, or a handler's way to answer with a chosen status.
/// </summary>
public sealed class TtrpcException : Exception
{
    /// <summary>Creates an exception carrying <paramref name="statusCode"/> and <paramref name="message"/>.</summary>
    /// <param name="statusCode">The status code; must not be <see cref="TtrpcStatusCode.OK"/>.</param>
    /// <param name="message">The status message, sent to the peer as is.</param>
    public TtrpcException(TtrpcStatusCode statusCode, string message)
        : this(statusCode, message, details: null, innerException: null)
    {
    }

    /// <summary>Creates an exception carrying a status, optional status details and a cause.</summary>
    /// <param name="statusCode">The status code; must not be <see cref="TtrpcStatusCode.OK"/>.</param>
    /// <param name="message">The status message, sent to the peer as is.</param>
    /// <param name="details">The <c>google.rpc.Status</c> details, or null for none.</param>
    /// <param name="innerException">The local cause, never sent to the peer.</param>
    public TtrpcException(TtrpcStatusCode statusCode, string message, IReadOnlyList<Any>? details, Exception? innerException)
        : base(message, innerException)
    {
        if (statusCode == TtrpcStatusCode.OK)
        {
            throw new ArgumentException("A TtrpcException cannot carry status OK.", nameof(statusCode));
        }

        StatusCode = statusCode;
        StatusMessage = message;
        Details = details ?? [];
    }

    /// <summary>The status code (gRPC numbering).</summary>
    public TtrpcStatusCode StatusCode { get; }

    /// <summary>The status message exactly as sent or received, without the code.</summary>
    public string StatusMessage { get; }

    /// <summary>The status details, usually empty.</summary>
    public IReadOnlyList<Any> Details { get; }

    /// <inheritdoc />
    public override string Message => $"ttrpc status {StatusCode}: {StatusMessage}";
}
