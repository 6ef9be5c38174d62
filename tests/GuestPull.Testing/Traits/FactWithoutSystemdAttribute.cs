using Xunit;

namespace GuestPull.Testing.Traits;

/// <summary>
/// A fact for machines where systemd is not PID 1; skipped, with the reason, where it is, since the
/// test would then make the real systemd run a unit.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class FactWithoutSystemdAttribute : FactAttribute
{
    /// <summary>Skips the test when <c>/run/systemd/system</c> exists (systemd's own test for "booted with systemd").</summary>
    public FactWithoutSystemdAttribute()
    {
        if (Directory.Exists("/run/systemd/system"))
        {
            Skip = "systemd manages this machine: the test would start a real unit";
        }
    }
}
