using System.Collections.Concurrent;
using GuestPull.Images.Pull;
using Spectre.Console;

namespace GuestPull.Cli.Output;

/// <summary>
/// Shows a pull's progress: a bar per layer at a terminal, otherwise one line per layer on stderr
/// when it is cached, done or failed.
/// </summary>
internal static class PullProgressRenderer
{
    public static async Task<T> RunAsync<T>(Func<Action<LayerPullProgress>, Task<T>> pull)
    {
        if (Console.IsErrorRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            return await pull(LogLine).ConfigureAwait(false);
        }

        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
            .StartAsync(async context =>
            {
                var tasks = new ConcurrentDictionary<int, ProgressTask>();
                result = await pull(p =>
                {
                    var task = tasks.GetOrAdd(p.Index, _ => context.AddTask(Short(p), maxValue: Math.Max(1, p.Layer.Size)));
                    switch (p.State)
                    {
                        case LayerPullState.Downloading:
                            task.Value = p.BytesRead;
                            break;
                        case LayerPullState.Cached:
                            task.Description = Short(p) + " (cached)";
                            task.Value = task.MaxValue;
                            break;
                        case LayerPullState.Done:
                            task.Value = task.MaxValue;
                            break;
                        case LayerPullState.Failed:
                            task.Description = Short(p) + " [red](failed)[/]";
                            task.StopTask();
                            break;
                    }
                }).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return result;
    }

    private static string Short(LayerPullProgress p) => $"layer {p.Index} {p.Layer.Digest.Hex[..12]}";

    private static void LogLine(LayerPullProgress p)
    {
        var what = p.State switch
        {
            LayerPullState.Cached => "cached",
            LayerPullState.Done => "done",
            LayerPullState.Failed => "failed",
            _ => null,
        };
        if (what is not null)
        {
            Console.Error.WriteLine($"guestpull: layer {p.Index} {p.Layer.Digest} ({p.Layer.Size} bytes): {what}");
        }
    }
}
