using GuestPull.Testing;

namespace GuestPull.IntegrationTests.Infrastructure;

/// <summary>Assertions on a CLI run that show the whole stderr when they fail.</summary>
internal static class CliAssert
{
    public static void Succeeded(ProcessResult result) =>
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}; stderr:\n{result.StandardError}");

    public static void Failed(ProcessResult result, int exitCode, params string[] expected)
    {
        Assert.True(result.ExitCode == exitCode, $"expected exit {exitCode}, got {result.ExitCode}; stderr:\n{result.StandardError}");
        foreach (var text in expected)
        {
            Assert.True(result.StandardError.Contains(text, StringComparison.Ordinal), $"stderr lacks \"{text}\":\n{result.StandardError}");
        }
    }
}
