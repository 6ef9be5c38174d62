using System.Globalization;
using System.Runtime.InteropServices;
using GuestPull.Linux.Interop;

namespace GuestPull.Linux;

/// <summary>
/// Children this process starts with posix_spawnp(3) and reaps itself with wait4(2), for callers that
/// need more control than <see cref="System.Diagnostics.Process"/> gives (a process group of their
/// own, default signal dispositions, the raw wait status).
/// </summary>
public static unsafe class ChildProcesses
{
    private const short SpawnSetProcessGroup = 0x02;
    private const short SpawnSetSignalDefault = 0x04;
    private const short SpawnSetSignalMask = 0x08;
    private const int OpenReadOnly = 0;
    private const int OpenWriteCreateTruncate = 0x1 | 0x40 | 0x200;
    private const uint CreatedFileMode = 0x1a4; // 0644

    // glibc x86_64/arm64 sizes are 80 (file actions), 336 (attributes) and 128 (sigset_t) bytes;
    // allocating more keeps us safe on any layout.
    private const int FileActionsSize = 256;
    private const int SpawnAttributesSize = 1024;
    private const int SignalSetSize = 256;

    /// <summary>Starts <paramref name="request"/>; returns the child's pid, which is also its process group id.</summary>
    /// <param name="request">The program, its arguments, environment and redirections.</param>
    public static int Spawn(SpawnRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var argv = AllocateStrings(request.Arguments);
        var envp = AllocateStrings(request.Environment);
        var fileActions = NativeMemory.AllocZeroed(FileActionsSize);
        var attributes = NativeMemory.AllocZeroed(SpawnAttributesSize);
        var defaults = NativeMemory.AllocZeroed(SignalSetSize);
        var mask = NativeMemory.AllocZeroed(SignalSetSize);
        try
        {
            Check(LibC.SpawnFileActionsInit(fileActions), "posix_spawn_file_actions_init");
            Check(LibC.SpawnFileActionsAddOpen(fileActions, 0, request.StandardInputPath, OpenReadOnly, 0), "posix_spawn_file_actions_addopen", request.StandardInputPath);
            Check(LibC.SpawnFileActionsAddOpen(fileActions, 1, request.StandardOutputPath, OpenWriteCreateTruncate, CreatedFileMode), "posix_spawn_file_actions_addopen", request.StandardOutputPath);
            Check(LibC.SpawnFileActionsAddOpen(fileActions, 2, request.StandardErrorPath, OpenWriteCreateTruncate, CreatedFileMode), "posix_spawn_file_actions_addopen", request.StandardErrorPath);

            // .NET ignores SIGPIPE and handles several signals; the child must start with default
            // dispositions and nothing blocked. SIGKILL and SIGSTOP cannot be reset.
            Check(LibC.SpawnAttributesInit(attributes), "posix_spawnattr_init");
            LibC.SignalSetEmpty(defaults);
            for (var signal = 1; signal < 32; signal++)
            {
                if (signal is not 9 and not 19)
                {
                    LibC.SignalSetAdd(defaults, signal);
                }
            }

            LibC.SignalSetEmpty(mask);
            Check(LibC.SpawnAttributesSetSignalDefault(attributes, defaults), "posix_spawnattr_setsigdefault");
            Check(LibC.SpawnAttributesSetSignalMask(attributes, mask), "posix_spawnattr_setsigmask");
            Check(LibC.SpawnAttributesSetProcessGroup(attributes, 0), "posix_spawnattr_setpgroup");
            Check(LibC.SpawnAttributesSetFlags(attributes, SpawnSetProcessGroup | SpawnSetSignalDefault | SpawnSetSignalMask), "posix_spawnattr_setflags");

            Check(LibC.PosixSpawnP(out var pid, request.File, fileActions, attributes, argv, envp), "posix_spawnp", request.File);
            return pid;
        }
        finally
        {
            LibC.SpawnFileActionsDestroy(fileActions);
            LibC.SpawnAttributesDestroy(attributes);
            NativeMemory.Free(fileActions);
            NativeMemory.Free(attributes);
            NativeMemory.Free(defaults);
            NativeMemory.Free(mask);
            FreeStrings(argv);
            FreeStrings(envp);
        }
    }

    /// <summary>Blocks until the child <paramref name="pid"/> ends (wait4(2), retried on EINTR) and returns its status.</summary>
    /// <param name="pid">A child of this process.</param>
    public static WaitStatus WaitForExit(int pid)
    {
        while (true)
        {
            int status;
            if (LibC.Wait4(pid, &status, 0, null) == pid)
            {
                return new WaitStatus(status);
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                throw new NativeCallException(errno, "wait4", pid.ToString(CultureInfo.InvariantCulture));
            }
        }
    }

    private static void Check(int error, string call, string? path = null)
    {
        if (error != 0)
        {
            throw new NativeCallException(error, call, path);
        }
    }

    private static byte** AllocateStrings(IReadOnlyList<string> values)
    {
        var array = (byte**)NativeMemory.AllocZeroed((nuint)(values.Count + 1), (nuint)sizeof(byte*));
        for (var i = 0; i < values.Count; i++)
        {
            array[i] = (byte*)Marshal.StringToCoTaskMemUTF8(values[i]);
        }

        return array;
    }

    private static void FreeStrings(byte** array)
    {
        for (var i = 0; array[i] != null; i++)
        {
            Marshal.FreeCoTaskMem((nint)array[i]);
        }

        NativeMemory.Free(array);
    }
}
