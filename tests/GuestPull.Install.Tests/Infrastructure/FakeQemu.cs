namespace GuestPull.Install.Tests.Infrastructure;

/// <summary>A shell script that answers the queries doctor makes of QEMU as QEMU 7 does, with chosen machine types and accelerators.</summary>
internal static class FakeQemu
{
    public const string Version = "QEMU emulator version 9.9.9 (GuestPull test double)";

    /// <summary>Writes an executable <c>qemu-system-x86_64</c> into <paramref name="directory"/> and returns its path.</summary>
    public static async Task<string> WriteAsync(string directory, string[]? machines = null, string[]? accelerators = null)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "qemu-system-x86_64");
        var machineLines = string.Join("\\n", (machines ?? ["microvm", "pc"]).Select(m => $"{m,-20} {m} machine"));
        var accelLines = string.Join("\\n", accelerators ?? ["tcg", "kvm"]);
        await File.WriteAllTextAsync(path, $"""
            #!/bin/sh
            case "$1" in
              --version) printf '{Version}\nCopyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n' ;;
              -machine) printf 'Supported machines are:\n{machineLines}\n' ;;
              -accel) printf 'Accelerators supported in QEMU binary:\n{accelLines}\n' ;;
              *) echo "unexpected arguments: $*" >&2; exit 1 ;;
            esac

            """);
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }
}
