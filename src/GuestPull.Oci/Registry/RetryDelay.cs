using System.Net.Http.Headers;

namespace GuestPull.Oci.Registry;

/// <summary>Backoff between attempts: exponential with jitter, or what the server asked for in Retry-After, within a cap.</summary>
internal static class RetryDelay
{
    public static TimeSpan Compute(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, RetryConditionHeaderValue? retryAfter, DateTimeOffset now)
    {
        TimeSpan? asked = retryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now,
            _ => null,
        };
        if (asked is { } a && a >= TimeSpan.Zero)
        {
            return a < maxDelay ? a : maxDelay;
        }

        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempt - 1));
        var jittered = exponential * (0.75 + (Random.Shared.NextDouble() / 2));
        return TimeSpan.FromMilliseconds(Math.Min(jittered, maxDelay.TotalMilliseconds));
    }
}
