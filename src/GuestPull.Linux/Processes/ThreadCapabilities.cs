using System.Runtime.InteropServices;
using GuestPull.Linux.Interop;

namespace GuestPull.Linux;

/// <summary>
/// capget(2) and capset(2) for the calling thread. Capabilities are per thread on Linux, so a change
/// only affects code that runs on this thread.
/// </summary>
public static unsafe class ThreadCapabilities
{
    /// <summary>CAP_MKNOD.</summary>
    public const int Mknod = 27;

    // _LINUX_CAPABILITY_VERSION_3: 64-bit sets split over two data structs.
    private const uint Version3 = 0x20080522;

    /// <summary>The calling thread's capability sets.</summary>
    public static CapabilitySets Get()
    {
        var header = new LibC.CapabilityHeader { Version = Version3 };
        var data = stackalloc LibC.CapabilityData[2];
        if (LibC.CapGet(&header, data) != 0)
        {
            throw new NativeCallException(Marshal.GetLastPInvokeError(), "capget");
        }

        return new CapabilitySets(
            Combine(data[0].Effective, data[1].Effective),
            Combine(data[0].Permitted, data[1].Permitted),
            Combine(data[0].Inheritable, data[1].Inheritable));
    }

    /// <summary>Replaces the calling thread's capability sets.</summary>
    /// <param name="sets">The new sets; the kernel refuses to raise a capability beyond the permitted set.</param>
    public static void Set(CapabilitySets sets)
    {
        var header = new LibC.CapabilityHeader { Version = Version3 };
        var data = stackalloc LibC.CapabilityData[2];
        data[0] = new LibC.CapabilityData { Effective = (uint)sets.Effective, Permitted = (uint)sets.Permitted, Inheritable = (uint)sets.Inheritable };
        data[1] = new LibC.CapabilityData { Effective = (uint)(sets.Effective >> 32), Permitted = (uint)(sets.Permitted >> 32), Inheritable = (uint)(sets.Inheritable >> 32) };
        if (LibC.CapSet(&header, data) != 0)
        {
            throw new NativeCallException(Marshal.GetLastPInvokeError(), "capset");
        }
    }

    private static ulong Combine(uint low, uint high) => ((ulong)high << 32) | low;
}
