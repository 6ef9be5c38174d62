using System.Globalization;
using System.Text.RegularExpressions;
using GuestPull.Testing.Containerd;

namespace GuestPull.Bench.Pod.Contenders;

/// The line the shim logs once a pod's VM is up ("sandbox ID started: QEMU pid N, accel tcg, …; agent
/// answered after N ms"), found in containerd's log, where containerd copies each shim's log fifo:
/// what really ran, rather than what a probe of the host predicts.
internal sealed partial record ShimStartLine(int QemuPid, string Accelerator, long? BootMilliseconds)
{
    // The shim logs it before the sandbox's RunPodSandbox returns; containerd copies it asynchronously.
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// The pod's line, or null (with the reason) when containerd's log does not have it.
    public static async Task<(ShimStartLine? Line, string? Problem)> FindAsync(ContainerdInstance containerd, string podId, CancellationToken cancellationToken)
    {
        var marker = $"sandbox {podId} started: ";
        try
        {
            var line = await containerd.WaitForLogLineAsync(l => l.Contains(marker, StringComparison.Ordinal), Wait, cancellationToken).ConfigureAwait(false);
            var match = Started().Match(line);
            return match.Success
                ? (new ShimStartLine(
                    int.Parse(match.Groups["pid"].Value, CultureInfo.InvariantCulture),
                    match.Groups["accel"].Value,
                    match.Groups["boot"].Success ? long.Parse(match.Groups["boot"].Value, CultureInfo.InvariantCulture) : null), null)
                : (null, $"the shim's start line has an unknown form: {line}");
        }
        catch (TimeoutException)
        {
            return (null, $"no \"{marker}…\" line in containerd's log within {Wait.TotalSeconds:F0} s");
        }
    }

    [GeneratedRegex(@"started: QEMU pid (?<pid>[0-9]+), accel (?<accel>[a-z]+)(?:.*agent answered after (?<boot>[0-9]+) ms)?")]
    private static partial Regex Started();
}
