namespace GuestPull.Shim.Tasks;

/// <summary>The stdio paths containerd gives a task or exec (fifos, or file:// URIs for log files).</summary>
internal sealed record ProcessStdio(string Stdin, string Stdout, string Stderr, bool Terminal);
