using System.CommandLine;
using GuestPull.Cache;
using GuestPull.Cli.Registry;
using Microsoft.Extensions.Logging;

namespace GuestPull.Cli.Commands;

/// <summary>
/// <c>guestpull cache</c>: the node-local pull-through cache daemon. Guests and <c>guestpull pull</c>
/// use it as a digest-only mirror; the registry flags say how it reaches the real registries.
/// </summary>
internal static class CacheCommand
{
    public static Command Build()
    {
        var registry = new RegistryCommandOptions();
        var listen = new Option<string>("--listen")
        {
            Description = $"HOST:PORT to serve the distribution API on (default {CacheOptions.DefaultListen}; guests in user-mode-networked VMs reach the node's loopback)",
            HelpName = "HOST:PORT",
            DefaultValueFactory = _ => CacheOptions.DefaultListen,
        };
        var root = new Option<string>("--root")
        {
            Description = $"directory of cached blobs (default {CacheOptions.DefaultRoot})",
            HelpName = "DIR",
            DefaultValueFactory = _ => CacheOptions.DefaultRoot,
        };
        var maxSize = new Option<string?>("--max-size")
        {
            Description = "evict least recently used blobs above this size (default 10G)",
            HelpName = "SIZE",
        };
        var logLevel = new Option<LogLevel>("--log-level")
        {
            Description = "least severe log level written",
            DefaultValueFactory = _ => LogLevel.Information,
        };
        var logToStdout = new Option<bool>("--log-to-stdout") { Description = "log to standard output instead of standard error" };
        var command = new Command("cache", "Run the node-local verified pull-through blob cache (a digest-only registry mirror)")
        {
            listen,
            root,
            maxSize,
            logLevel,
            logToStdout,
        };
        registry.AddConnectionFlagsTo(command);
        command.SetAction(async (result, ct) =>
        {
            CacheOptions options;
            try
            {
                options = new CacheOptions
                {
                    Listen = result.GetValue(listen)!,
                    Root = result.GetValue(root)!,
                    MaxSize = result.GetValue(maxSize) is { } size ? SizeParser.Parse(size, "--max-size") : CacheOptions.DefaultMaxSize,
                    Upstream = registry.BuildConnection(result),
                    LogLevel = result.GetValue(logLevel),
                    LogToStdout = result.GetValue(logToStdout),
                };
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or InvalidDataException)
            {
                await Console.Error.WriteLineAsync("guestpull cache: error: " + ex.Message).ConfigureAwait(false);
                return CommandRunner.ExitUsage;
            }

            try
            {
                return await CacheHost.RunAsync(options, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync("guestpull cache: error: " + ex.Message).ConfigureAwait(false);
                return CommandRunner.ExitFailure;
            }
        });
        return command;
    }
}
