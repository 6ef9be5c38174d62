namespace GuestPull.Cache.Distribution;

/// <summary>How a request's Range header resolved.</summary>
internal enum RangeRequest
{
    /// <summary>Serve the whole blob (200).</summary>
    Whole,

    /// <summary>Serve one range (206).</summary>
    Partial,

    /// <summary>The range starts past the end (416).</summary>
    Unsatisfiable,
}
