namespace GuestPull.Testing;

/// A child process exited with a non-zero code; the message carries the command, the code and stderr.
public sealed class ProcessFailedException : Exception
{
    public ProcessFailedException(ProcessResult result)
        : base($"'{result.CommandLine}' exited with code {result.ExitCode}: {Describe(result)}")
    {
        Result = result;
    }

    public ProcessResult Result { get; }

    public int ExitCode => Result.ExitCode;

    public string StandardError => Result.StandardError;

    private static string Describe(ProcessResult result)
    {
        var stderr = result.StandardError.Trim();
        if (stderr.Length > 0)
        {
            return stderr;
        }

        var stdout = result.StandardOutput.Trim();
        return stdout.Length > 0 ? "(no stderr) stdout: " + Truncate(stdout) : "(no output)";
    }

    private static string Truncate(string text) => text.Length <= 4000 ? text : text[..4000] + "…";
}
