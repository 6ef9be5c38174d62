namespace GuestPull.Linux;

/// <summary>A point in time as the kernel stores it: seconds since the epoch plus nanoseconds.</summary>
/// <param name="Seconds">Seconds since 1970-01-01T00:00:00Z (negative before).</param>
/// <param name="Nanoseconds">Nanoseconds within the second, 0 to 999,999,999.</param>
public readonly record struct UnixTimestamp(long Seconds, uint Nanoseconds);
