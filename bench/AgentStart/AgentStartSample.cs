namespace GuestPull.Bench.AgentStart;

/// <summary>One start of an agent: process start to its first answered Check, and its resident memory once idle.</summary>
internal sealed record AgentStartSample(TimeSpan Ready, long IdleRssKiB);
