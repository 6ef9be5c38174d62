using System.Runtime.InteropServices;

namespace GuestPull.Unpack.Tests.Helpers;

/// <summary>
/// Drops a capability from the calling thread's effective set until disposed (capabilities are
/// per thread on Linux). Only meaningful around code that runs synchronously on this thread.
/// </summary>
internal sealed unsafe partial class ThreadCapabilities : IDisposable
{
    public const int CapMknod = 27;
    private const uint Version3 = 0x20080522;

    private readonly CapData[] _saved = new CapData[2];

    private ThreadCapabilities(int capability)
    {
        var header = new CapHeader { Version = Version3 };
        fixed (CapData* data = _saved)
        {
            Check(CapGet(&header, data), "capget");
        }

        var lowered = (CapData[])_saved.Clone();
        lowered[capability / 32].Effective &= ~(1u << (capability % 32));
        fixed (CapData* data = lowered)
        {
            Check(CapSet(&header, data), "capset");
        }
    }

    public static ThreadCapabilities Drop(int capability) => new(capability);

    public void Dispose()
    {
        var header = new CapHeader { Version = Version3 };
        fixed (CapData* data = _saved)
        {
            Check(CapSet(&header, data), "capset");
        }
    }

    private static void Check(int result, string call)
    {
        if (result != 0)
        {
            throw new InvalidOperationException($"{call} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "capget", SetLastError = true)]
    private static partial int CapGet(CapHeader* header, CapData* data);

    [LibraryImport("libc", EntryPoint = "capset", SetLastError = true)]
    private static partial int CapSet(CapHeader* header, CapData* data);

    [StructLayout(LayoutKind.Sequential)]
    private struct CapHeader
    {
        public uint Version;
        public int Pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CapData
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }
}
