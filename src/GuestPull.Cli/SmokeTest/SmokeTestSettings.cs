namespace GuestPull.Cli.SmokeTest;

/// <summary>What <c>guestpull smoke-test</c> runs.</summary>
internal sealed record SmokeTestSettings(
    string Image,
    IReadOnlyList<string> Command,
    string RuntimeHandler,
    string LogDirectory,
    TimeSpan Timeout);
