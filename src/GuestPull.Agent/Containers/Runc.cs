using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace GuestPull.Agent.Containers;

/// <summary>Runs Debian's runc under the agent's own state root.</summary>
internal sealed class Runc
{
    private readonly string _path;
    private readonly string _root;

    public Runc(string path, string root)
    {
        _path = path;
        _root = root;
    }

    public string Path => _path;

    /// <summary>Arguments for a foreground <c>runc run</c> of a bundle.</summary>
    public IReadOnlyList<string> RunArguments(string containerId, string bundle, string pidFile, string logFile) =>
        ["--root", _root, "--log", logFile, "--log-format", "json", "run", "--bundle", bundle, "--pid-file", pidFile, containerId];

    /// <summary>Arguments for a foreground <c>runc exec</c> of a process description.</summary>
    public IReadOnlyList<string> ExecArguments(string containerId, string processFile, string pidFile, string logFile) =>
        ["--root", _root, "--log", logFile, "--log-format", "json", "exec", "--process", processFile, "--pid-file", pidFile, containerId];

    public Task KillAsync(string containerId, int signal, CancellationToken cancellationToken) =>
        RunAsync(["kill", containerId, signal.ToString(System.Globalization.CultureInfo.InvariantCulture)], cancellationToken);

    /// <summary>Deletes the container's runc state; a container runc does not know is not an error.</summary>
    public async Task DeleteAsync(string containerId, CancellationToken cancellationToken)
    {
        if (Directory.Exists(System.IO.Path.Combine(_root, containerId)))
        {
            await RunAsync(["delete", "--force", containerId], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The last error runc wrote to a JSON log file, for messages; null when there is none.</summary>
    public static string? LastError(string logFile)
    {
        if (!File.Exists(logFile))
        {
            return null;
        }

        string? last = null;
        foreach (var line in File.ReadLines(logFile))
        {
            try
            {
                using var entry = JsonDocument.Parse(line);
                if (entry.RootElement.TryGetProperty("level", out var level) && level.GetString() is "error" or "fatal"
                    && entry.RootElement.TryGetProperty("msg", out var message))
                {
                    last = message.GetString();
                }
            }
            catch (JsonException)
            {
                last = line;
            }
        }

        return last;
    }

    private async Task RunAsync(IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(_path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("--root");
        startInfo.ArgumentList.Add(_root);
        foreach (var argument in command)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{_path} did not start");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        await stdout.ConfigureAwait(false);
        var error = (await stderr.ConfigureAwait(false)).Trim();
        if (process.ExitCode != 0)
        {
            var text = new StringBuilder($"runc {string.Join(' ', command)} failed with exit code {process.ExitCode}");
            if (error.Length > 0)
            {
                text.Append(": ").Append(error);
            }

            throw new RuncException(text.ToString());
        }
    }
}
