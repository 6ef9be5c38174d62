using System.Diagnostics;

namespace GuestPull.Unpack.Tests.Helpers;

/// <summary>Runs external tools (umoci, mount, stat) with generous timeouts.</summary>
internal static class Run
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    public static async Task<string> CheckedAsync(string file, params string[] arguments)
    {
        var (exitCode, output, error) = await ExecuteAsync(file, arguments);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {exitCode}: {error}{output}");
        }

        return output;
    }

    public static async Task<int> UncheckedAsync(string file, params string[] arguments) => (await ExecuteAsync(file, arguments)).ExitCode;

    private static async Task<(int ExitCode, string Output, string Error)> ExecuteAsync(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        using var timeout = new CancellationTokenSource(Timeout);
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {Timeout}");
        }

        return (process.ExitCode, await output, await error);
    }
}
