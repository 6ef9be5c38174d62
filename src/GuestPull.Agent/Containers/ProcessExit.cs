namespace GuestPull.Agent.Containers;

/// <summary>How and when a process ended: its exit code, or 128 + n when signal n killed it.</summary>
internal sealed record ProcessExit(int Status, DateTimeOffset At);
