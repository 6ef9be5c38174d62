using System.Net;

namespace GuestPull.Oci.Registry;

/// <summary>A registry answered with an error, or could not be reached; the message names the registry and the object.</summary>
public class RegistryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RegistryException(string message, HttpStatusCode? statusCode = null, string? errorCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
    }

    /// <summary>The HTTP status, when the registry answered.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The distribution-spec error code (<c>MANIFEST_UNKNOWN</c>, <c>NAME_UNKNOWN</c>, …) when the registry gave one.</summary>
    public string? ErrorCode { get; }

    /// <summary>Whether the registry said the object does not exist.</summary>
    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound;
}
