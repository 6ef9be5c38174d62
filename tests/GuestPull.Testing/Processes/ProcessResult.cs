using System.Text;

namespace GuestPull.Testing;

/// What a finished child process left behind. Stdout is kept as bytes because callers hash it (raw manifests).
public sealed record ProcessResult(string CommandLine, int ExitCode, byte[] StandardOutputBytes, string StandardError)
{
    public string StandardOutput => Encoding.UTF8.GetString(StandardOutputBytes);

    public bool Succeeded => ExitCode == 0;
}
