using System.Diagnostics;
using GuestPull.Linux;

namespace GuestPull.Bench.Soak;

/// <summary>A daemon under measurement, started as its own process so its RSS is its own; SIGTERM on dispose, SIGKILL if it lingers.</summary>
internal sealed class DaemonProcess : IAsyncDisposable
{
    private readonly Process _process;

    private DaemonProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>dotnet GUESTPULL.dll ARGS</c>, or the program itself when it is not a .dll.</summary>
    public static DaemonProcess Start(string guestpull, IEnumerable<string> arguments)
    {
        var dll = guestpull.EndsWith(".dll", StringComparison.Ordinal);
        var start = new ProcessStartInfo(dll ? "dotnet" : guestpull) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (dll ? [guestpull] : Array.Empty<string>()).Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{guestpull} did not start");
        // Drained so that a chatty daemon never blocks on a full pipe; its output is not measured.
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
        _ = process.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
        return new DaemonProcess(process);
    }

    /// <summary>Waits until <paramref name="socket"/> exists, failing if the daemon exits first.</summary>
    public async Task WaitForSocketAsync(string socket, CancellationToken cancellationToken)
    {
        while (!File.Exists(socket))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the daemon exited with {_process.ExitCode} before it listened on {socket}");
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signals.Send(_process.Id, Signals.Terminate);
            try
            {
                await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        _process.Dispose();
    }
}
