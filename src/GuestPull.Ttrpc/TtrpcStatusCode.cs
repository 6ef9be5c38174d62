namespace GuestPull.Ttrpc;

/// <summary>
/// Status codes carried in a ttrpc response's <c>google.rpc.Status</c>; the numbers are gRPC's.
/// </summary>
public enum TtrpcStatusCode
{
    /// <summary>Success.</summary>
    OK = 0,

    /// <summary>The call was cancelled, typically by the caller.</summary>
    Cancelled = 1,

    /// <summary>An error with no better code.</summary>
    Unknown = 2,

    /// <summary>The caller sent an invalid argument.</summary>
    InvalidArgument = 3,

    /// <summary>The deadline expired before the call completed.</summary>
    DeadlineExceeded = 4,

    /// <summary>A requested entity was not found.</summary>
    NotFound = 5,

    /// <summary>The entity the caller tried to create already exists.</summary>
    AlreadyExists = 6,

    /// <summary>The caller may not perform the operation.</summary>
    PermissionDenied = 7,

    /// <summary>A resource, such as the message size cap, was exhausted.</summary>
    ResourceExhausted = 8,

    /// <summary>The system is not in a state the operation requires.</summary>
    FailedPrecondition = 9,

    /// <summary>The operation was aborted, typically by a concurrency conflict.</summary>
    Aborted = 10,

    /// <summary>The operation went past the valid range.</summary>
    OutOfRange = 11,

    /// <summary>The service or method is not implemented.</summary>
    Unimplemented = 12,

    /// <summary>An invariant of the implementation broke.</summary>
    Internal = 13,

    /// <summary>The service is unavailable, for example because the connection closed.</summary>
    Unavailable = 14,

    /// <summary>Unrecoverable data loss or corruption.</summary>
    DataLoss = 15,

    /// <summary>The caller has no valid credentials.</summary>
    Unauthenticated = 16,
}
