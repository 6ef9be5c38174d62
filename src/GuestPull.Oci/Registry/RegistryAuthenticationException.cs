using System.Net;

namespace GuestPull.Oci.Registry;

/// <summary>The registry or its token server refused the credentials, or needs credentials that are not configured.</summary>
public sealed class RegistryAuthenticationException : RegistryException
{
    /// <summary>Creates the exception.</summary>
    public RegistryAuthenticationException(string message, HttpStatusCode? statusCode = HttpStatusCode.Unauthorized, string? errorCode = null)
        : base(message, statusCode, errorCode)
    {
    }
}
