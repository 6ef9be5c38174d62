using System.Globalization;

namespace GuestPull.Shim.Vm;

/// <summary>
/// The pod's resource limits as containerd's CRI passes them on the sandbox container
/// (io.kubernetes.cri.sandbox-cpu-quota/-period and -memory, the sums of its containers' limits):
/// added to the VM's configured vCPUs and memory, as Kata's static sandbox sizing does.
/// </summary>
internal static class PodResources
{
    public const string CpuQuota = "io.kubernetes.cri.sandbox-cpu-quota";
    public const string CpuPeriod = "io.kubernetes.cri.sandbox-cpu-period";
    public const string Memory = "io.kubernetes.cri.sandbox-memory";

    /// <summary>Extra vCPUs: quota over period, rounded up; 0 without a limit.</summary>
    public static int ExtraVcpus(IReadOnlyDictionary<string, string> annotations)
    {
        var quota = Number(annotations, CpuQuota);
        var period = Number(annotations, CpuPeriod);
        return quota > 0 && period > 0 ? (int)Math.Min(255, (quota + period - 1) / period) : 0;
    }

    /// <summary>Extra memory in MiB, rounded up; 0 without a limit.</summary>
    public static int ExtraMemoryMiB(IReadOnlyDictionary<string, string> annotations)
    {
        var bytes = Number(annotations, Memory);
        return bytes > 0 ? (int)Math.Min(1 << 20, (bytes + (1 << 20) - 1) >> 20) : 0;
    }

    private static long Number(IReadOnlyDictionary<string, string> annotations, string key) =>
        annotations.TryGetValue(key, out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;
}
