using System.Runtime.InteropServices;

namespace GuestPull.Linux.Interop;

internal static unsafe partial class LibC
{
    [LibraryImport(Library, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    [LibraryImport(Library, EntryPoint = "wait4", SetLastError = true)]
    internal static partial int Wait4(int pid, int* status, int options, void* resourceUsage);

    [LibraryImport(Library, EntryPoint = "capget", SetLastError = true)]
    internal static partial int CapGet(CapabilityHeader* header, CapabilityData* data);

    [LibraryImport(Library, EntryPoint = "capset", SetLastError = true)]
    internal static partial int CapSet(CapabilityHeader* header, CapabilityData* data);

    // The posix_spawn family returns the error number instead of setting errno.
    [LibraryImport(Library, EntryPoint = "posix_spawnp", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int PosixSpawnP(out int pid, string file, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport(Library, EntryPoint = "posix_spawn_file_actions_init")]
    internal static partial int SpawnFileActionsInit(void* fileActions);

    [LibraryImport(Library, EntryPoint = "posix_spawn_file_actions_addopen", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int SpawnFileActionsAddOpen(void* fileActions, int fd, string path, int flags, uint mode);

    [LibraryImport(Library, EntryPoint = "posix_spawn_file_actions_destroy")]
    internal static partial int SpawnFileActionsDestroy(void* fileActions);

    [LibraryImport(Library, EntryPoint = "posix_spawnattr_init")]
    internal static partial int SpawnAttributesInit(void* attributes);

    [LibraryImport(Library, EntryPoint = "posix_spawnattr_setflags")]
    internal static partial int SpawnAttributesSetFlags(void* attributes, short flags);

    [LibraryImport(Library, EntryPoint = "posix_spawnattr_setpgroup")]
    internal static partial int SpawnAttributesSetProcessGroup(void* attributes, int processGroup);

    [LibraryImport(Library, EntryPoint = "posix_spawnattr_setsigdefault")]
    internal static partial int SpawnAttributesSetSignalDefault(void* attributes, void* signals);

    [LibraryImport(Library, EntryPoint = "posix_spawnattr_setsigmask")]
    internal static partial int SpawnAttributesSetSignalMask(void* attributes, void* signals);

    [LibraryImport(Library, EntryPoint = "posix_spawnattr_destroy")]
    internal static partial int SpawnAttributesDestroy(void* attributes);

    [LibraryImport(Library, EntryPoint = "sigemptyset")]
    internal static partial int SignalSetEmpty(void* signals);

    [LibraryImport(Library, EntryPoint = "sigaddset")]
    internal static partial int SignalSetAdd(void* signals, int signal);

    /// <summary>struct __user_cap_header_struct.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct CapabilityHeader
    {
        public uint Version;
        public int Pid;
    }

    /// <summary>struct __user_cap_data_struct; version 3 uses two of them (capabilities 0-31, 32-63).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct CapabilityData
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }
}
