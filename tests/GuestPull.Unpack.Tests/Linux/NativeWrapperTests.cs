using GuestPull.Linux;
using GuestPull.Testing;

namespace GuestPull.Unpack.Tests.Linux;

/// <summary>The typed wrappers around kill, open, statx, link, capget/capset, posix_spawn and wait4.</summary>
public sealed class NativeWrapperTests : IDisposable
{
    private readonly TempDirectory _temp = TempDirectory.Create("native");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void SignalsReportAGoneProcessAndNameOtherErrors()
    {
        Assert.True(Signals.Send(Environment.ProcessId, 0));
        Assert.Equal(0, Signals.TrySend(Environment.ProcessId, 0));
        Assert.Equal(Errno.ESRCH, Signals.TrySend(int.MaxValue, 0));
        Assert.False(Signals.Send(int.MaxValue, Signals.Terminate));

        var error = Assert.Throws<NativeCallException>(() => Signals.Send(Environment.ProcessId, 1000));

        Assert.Equal(Errno.EINVAL, error.Errno);
        Assert.Contains("kill(", error.Message, StringComparison.Ordinal);
        Assert.Contains("(EINVAL)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenAndStatByPathReportErrnos()
    {
        var missing = _temp.Combine("missing");
        Assert.Equal(Errno.ENOENT, FileSystemCalls.TryOpen(missing, OpenFlags.ReadOnly, 0, out var none));
        Assert.Null(none);
        Assert.Contains("(ENOENT)", Assert.Throws<NativeCallException>(() => FileSystemCalls.Open(missing, OpenFlags.ReadOnly)).Message, StringComparison.Ordinal);
        Assert.False(FileSystemCalls.TryStat(missing, out _));

        var file = _temp.Combine("file");
        File.WriteAllText(file, "12345");
        File.CreateSymbolicLink(_temp.Combine("link"), file);
        Assert.True(FileSystemCalls.TryStat(file, out var status));
        Assert.Equal(FileType.RegularFile, status.Type);
        Assert.Equal(5, status.Size);
        Assert.True(FileSystemCalls.TryStat(_temp.Combine("link"), out var link));
        Assert.True(link.IsSymbolicLink);
        Assert.True(FileSystemCalls.TryStat(_temp.Combine("link"), out var followed, followSymlinks: true));
        Assert.Equal(status.Inode, followed.Inode);

        Assert.False(FileSystemCalls.TryStat(file + "/below", out _));
        var error = Assert.Throws<NativeCallException>(() => FileSystemCalls.TryStat(_temp.Combine(new string('n', 300)), out _));
        Assert.Equal("statx", error.Syscall);
        Assert.Contains("(ENAMETOOLONG)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOpenedDescriptorCanBeHandedToAFileStream()
    {
        var path = _temp.Combine("appended");
        File.WriteAllText(path, "a");

        var descriptor = FileSystemCalls.Open(path, OpenFlags.WriteOnly | OpenFlags.Append);
        using (var stream = new FileStream(descriptor.TransferToFileHandle(), FileAccess.Write))
        {
            stream.Write("b"u8);
        }

        Assert.True(descriptor.IsClosed);
        Assert.Equal("ab", File.ReadAllText(path));
    }

    [Fact]
    public void HardLinksShareTheInodeAndFailuresNameTheErrno()
    {
        var existing = _temp.Combine("existing");
        File.WriteAllText(existing, "x");

        FileSystemCalls.CreateHardLink(existing, _temp.Combine("linked"));

        Assert.True(FileSystemCalls.TryStat(existing, out var status));
        Assert.Equal(2u, status.LinkCount);
        var error = Assert.Throws<NativeCallException>(() => FileSystemCalls.CreateHardLink(existing, _temp.Combine("linked")));
        Assert.Equal("link", error.Syscall);
        Assert.Contains("(EEXIST)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACapabilityDroppedFromTheEffectiveSetComesBack()
    {
        var before = ThreadCapabilities.Get();
        if ((before.Effective & (1UL << ThreadCapabilities.Mknod)) == 0)
        {
            return; // Not privileged: nothing to drop.
        }

        ThreadCapabilities.Set(before.WithoutEffective(ThreadCapabilities.Mknod));
        try
        {
            Assert.Equal(0UL, ThreadCapabilities.Get().Effective & (1UL << ThreadCapabilities.Mknod));
        }
        finally
        {
            ThreadCapabilities.Set(before);
        }

        Assert.Equal(before, ThreadCapabilities.Get());
    }

    [Fact]
    public void ASpawnedChildIsReapedWithItsExitCodeOrSignal()
    {
        Assert.Equal(3, Run("exit 3").ExitCode);
        Assert.Equal("out\n", File.ReadAllText(_temp.Combine("exit.out")));

        var killed = Run("kill -9 $$");
        Assert.Equal(Signals.Kill, killed.TerminatingSignal);
        Assert.Equal(-1, killed.ExitCode);
    }

    [Fact]
    public void SpawnAndWaitFailuresNameTheErrno()
    {
        var missing = Assert.Throws<NativeCallException>(() => ChildProcesses.Spawn(new SpawnRequest
        {
            File = "guestpull-no-such-program",
            Arguments = ["guestpull-no-such-program"],
            Environment = ["PATH=/usr/bin:/bin"],
            StandardOutputPath = _temp.Combine("missing.out"),
            StandardErrorPath = _temp.Combine("missing.err"),
        }));
        Assert.Contains("(ENOENT)", missing.Message, StringComparison.Ordinal);

        var notAChild = Assert.Throws<NativeCallException>(() => ChildProcesses.WaitForExit(1));
        Assert.Contains("(ECHILD)", notAChild.Message, StringComparison.Ordinal);
    }

    private WaitStatus Run(string script)
    {
        var name = script.StartsWith("exit", StringComparison.Ordinal) ? "exit" : "kill";
        var pid = ChildProcesses.Spawn(new SpawnRequest
        {
            File = "sh",
            Arguments = ["sh", "-c", "echo out; " + script],
            Environment = ["PATH=/usr/bin:/bin"],
            StandardOutputPath = _temp.Combine(name + ".out"),
            StandardErrorPath = _temp.Combine(name + ".err"),
        });
        return ChildProcesses.WaitForExit(pid);
    }
}
