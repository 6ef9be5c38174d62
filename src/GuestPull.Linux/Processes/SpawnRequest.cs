namespace GuestPull.Linux;

/// <summary>
/// What <see cref="ChildProcesses.Spawn"/> starts: a program found on PATH, with its standard streams
/// redirected to files, in a process group of its own and with default signal dispositions and an
/// empty signal mask, as it would start from a shell.
/// </summary>
public sealed record SpawnRequest
{
    /// <summary>The program: a path, or a name looked up on PATH.</summary>
    public required string File { get; init; }

    /// <summary>The argument vector, argv[0] included.</summary>
    public required IReadOnlyList<string> Arguments { get; init; }

    /// <summary>The environment, as NAME=value strings.</summary>
    public required IReadOnlyList<string> Environment { get; init; }

    /// <summary>The file opened read-only as standard input.</summary>
    public string StandardInputPath { get; init; } = "/dev/null";

    /// <summary>The file created (or truncated) as standard output.</summary>
    public required string StandardOutputPath { get; init; }

    /// <summary>The file created (or truncated) as standard error.</summary>
    public required string StandardErrorPath { get; init; }
}
