using System.Runtime.InteropServices;

namespace GuestPull.Linux;

/// <summary>Translates <see cref="OpenFlags"/> into this architecture's O_* values.</summary>
internal static class NativeOpenFlags
{
    private const int ORdonly = 0;
    private const int OWronly = 1;
    private const int ORdwr = 2;
    private const int OCreat = 0x40;
    private const int OExcl = 0x80;
    private const int ONoctty = 0x100;
    private const int OTrunc = 0x200;
    private const int OAppend = 0x400;
    private const int ONonblock = 0x800;
    private const int OCloexec = 0x80000;
    private const int OPath = 0x200000;

    // arm, arm64 and powerpc use their own values for these two; everything else uses the generic ones.
    private static readonly bool ArmLike = RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64 or Architecture.Armv6 or Architecture.Ppc64le;
    private static readonly int ODirectory = ArmLike ? 0x4000 : 0x10000;
    private static readonly int ONofollow = ArmLike ? 0x8000 : 0x20000;

    public static int Translate(OpenFlags flags)
    {
        var native = OCloexec;
        native |= (flags & (OpenFlags.WriteOnly | OpenFlags.ReadWrite)) switch
        {
            OpenFlags.WriteOnly => OWronly,
            OpenFlags.ReadWrite => ORdwr,
            0 => ORdonly,
            _ => throw new ArgumentException("WriteOnly and ReadWrite are exclusive.", nameof(flags)),
        };
        if (flags.HasFlag(OpenFlags.Create))
        {
            native |= OCreat;
        }

        if (flags.HasFlag(OpenFlags.Exclusive))
        {
            native |= OExcl;
        }

        if (flags.HasFlag(OpenFlags.Truncate))
        {
            native |= OTrunc;
        }

        if (flags.HasFlag(OpenFlags.Directory))
        {
            native |= ODirectory;
        }

        if (flags.HasFlag(OpenFlags.NoFollow))
        {
            native |= ONofollow;
        }

        if (flags.HasFlag(OpenFlags.Path))
        {
            native |= OPath;
        }

        if (flags.HasFlag(OpenFlags.NonBlocking))
        {
            native |= ONonblock;
        }

        if (flags.HasFlag(OpenFlags.NoControllingTerminal))
        {
            native |= ONoctty;
        }

        if (flags.HasFlag(OpenFlags.Append))
        {
            native |= OAppend;
        }

        return native;
    }
}
