namespace GuestPull.Install.SmokeTest;

/// <summary>What <c>guestpull smoke-test</c> runs.</summary>
/// <param name="Image">The image reference.</param>
/// <param name="Command">The command, or empty for the image's own.</param>
/// <param name="RuntimeHandler">The runtime handler of the pod.</param>
/// <param name="LogDirectory">Where the pod's logs are written.</param>
/// <param name="Timeout">How long the whole test may take.</param>
public sealed record SmokeTestSettings(
    string Image,
    IReadOnlyList<string> Command,
    string RuntimeHandler,
    string LogDirectory,
    TimeSpan Timeout);
