namespace GuestPull.Linux;

/// <summary>A thread's capability sets, one bit per capability number.</summary>
/// <param name="Effective">The capabilities the kernel checks.</param>
/// <param name="Permitted">The capabilities the thread may make effective.</param>
/// <param name="Inheritable">The capabilities kept across execve.</param>
public readonly record struct CapabilitySets(ulong Effective, ulong Permitted, ulong Inheritable)
{
    /// <summary>These sets with <paramref name="capability"/> removed from the effective set.</summary>
    /// <param name="capability">The capability number, e.g. <see cref="ThreadCapabilities.Mknod"/>.</param>
    public CapabilitySets WithoutEffective(int capability)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capability);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capability, 63);
        return this with { Effective = Effective & ~(1UL << capability) };
    }
}
