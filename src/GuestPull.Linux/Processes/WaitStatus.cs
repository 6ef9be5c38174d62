namespace GuestPull.Linux;

/// <summary>A child's status as wait(2) reports it.</summary>
/// <param name="Raw">The status word.</param>
public readonly record struct WaitStatus(int Raw)
{
    /// <summary>The signal that killed the child (WTERMSIG), or 0 when it exited.</summary>
    public int TerminatingSignal => Raw & 0x7f;

    /// <summary>The exit code (WEXITSTATUS), or -1 when a signal killed the child.</summary>
    public int ExitCode => TerminatingSignal == 0 ? (Raw >> 8) & 0xff : -1;
}
