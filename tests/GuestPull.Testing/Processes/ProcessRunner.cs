using System.Diagnostics;

namespace GuestPull.Testing;

/// Runs external tools (skopeo, umoci, htpasswd, docker-registry, ...) with an argument list, never a shell string.
public static class ProcessRunner
{
    /// Runs to completion and captures stdout (as bytes) and stderr. Throws <see cref="ProcessFailedException"/>
    /// on a non-zero exit unless <see cref="ProcessRunOptions.ThrowOnFailure"/> is false, and
    /// <see cref="TimeoutException"/> (after killing the process tree) when the timeout passes.
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        ProcessRunOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new ProcessRunOptions();
        var argumentList = arguments.ToList();
        var commandLine = CommandLine.Render(fileName, argumentList);

        using var process = new Process
        {
            StartInfo = CreateStartInfo(fileName, argumentList, options.Environment, options.WorkingDirectory),
        };
        StartOrThrow(process, commandLine);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);

        // The readers run to the end of the pipes, not to the timeout, so a timeout still reports what was written.
        var stdout = ReadAllBytesAsync(process.StandardOutput.BaseStream);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var stdin = WriteStandardInputAsync(process, options.StandardInput, timeout.Token);

        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            // A descendant that keeps the pipes open would block here; the timeout covers that too.
            await Task.WhenAll(stdout, stderr, stdin).WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            // SIGKILL is asynchronous: reap the process, so "it was killed" holds when this returns.
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            var partialStderr = await TryGetAsync(stderr).ConfigureAwait(false);
            throw new TimeoutException(
                $"'{commandLine}' did not finish within {options.Timeout}; it was killed. stderr: {partialStderr.Trim()}");
        }

        var result = new ProcessResult(commandLine, process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        if (options.ThrowOnFailure && result.ExitCode != 0)
        {
            throw new ProcessFailedException(result);
        }

        return result;
    }

    public static Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        RunAsync(fileName, arguments, options: null, cancellationToken);

    /// Starts a long-running process (a daemon). The returned handle kills the whole process tree on dispose.
    public static BackgroundProcess StartBackground(
        string fileName,
        IEnumerable<string> arguments,
        BackgroundProcessOptions? options = null)
    {
        options ??= new BackgroundProcessOptions();
        var argumentList = arguments.ToList();
        var commandLine = CommandLine.Render(fileName, argumentList);
        var process = new Process
        {
            StartInfo = CreateStartInfo(fileName, argumentList, options.Environment, options.WorkingDirectory),
            EnableRaisingEvents = true,
        };
        var handle = new BackgroundProcess(process, commandLine, options);
        try
        {
            StartOrThrow(process, commandLine);
        }
        catch
        {
            process.Dispose();
            throw;
        }

        handle.OnStarted();
        return handle;
    }

    internal static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already exited between the check and the kill.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Raced with exit as well; nothing left to kill.
        }
    }

    private static ProcessStartInfo CreateStartInfo(
        string fileName,
        List<string> arguments,
        IReadOnlyDictionary<string, string?>? environment,
        string? workingDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                if (value is null)
                {
                    startInfo.Environment.Remove(name);
                }
                else
                {
                    startInfo.Environment[name] = value;
                }
            }
        }

        return startInfo;
    }

    private static void StartOrThrow(Process process, string commandLine)
    {
        try
        {
            if (!process.Start())
            {
                throw new InvalidOperationException($"'{commandLine}' did not start.");
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"'{commandLine}' could not be started: {e.Message}", e);
        }
    }

    private static async Task<byte[]> ReadAllBytesAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static async Task<string> TryGetAsync(Task<string> text)
    {
        try
        {
            return await text.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return "(not captured)";
        }
        catch (IOException)
        {
            return "(not captured)";
        }
    }

    private static async Task WriteStandardInputAsync(Process process, byte[]? input, CancellationToken cancellationToken)
    {
        var stdin = process.StandardInput.BaseStream;
        try
        {
            if (input is not null)
            {
                await stdin.WriteAsync(input, cancellationToken).ConfigureAwait(false);
                await stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // The child exited (or closed stdin) without reading everything; its exit code tells the story.
        }
        finally
        {
            try
            {
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // Same as above: a broken pipe on close is not the caller's problem.
            }
        }
    }
}
