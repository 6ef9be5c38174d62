using System.Globalization;
using System.Text;

namespace GuestPull.Install.Verify;

/// <summary>
/// Tells what isolates a pod on this host from the processes that run it: the guestpull shim names
/// the pod's state directory, and with it the pod's id, on its sandbox's command line (QEMU's agent
/// chardev, or unshare's agent socket).
/// </summary>
internal static class SandboxIsolationProbe
{
    public static string Describe(string sandboxId)
    {
        string? namespaceSandbox = null;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string[] argv;
            try
            {
                argv = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(directory, "cmdline"))).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (argv.Length == 0 || !argv.Any(argument => argument.Contains(sandboxId, StringComparison.Ordinal)))
            {
                continue;
            }

            var program = Path.GetFileName(argv[0]);
            if (program.StartsWith("qemu-system", StringComparison.Ordinal))
            {
                var accelerator = Array.IndexOf(argv, "-accel") is var at and >= 0 && at + 1 < argv.Length ? argv[at + 1] : "?";
                return $"virtual machine (QEMU pid {pid}, accel {accelerator})";
            }

            if (program is "unshare" or "nsenter")
            {
                namespaceSandbox = $"host namespaces ({program} pid {pid}): no protection against the host";
            }
        }

        return namespaceSandbox ?? "no sandbox process of this pod on this host";
    }
}
