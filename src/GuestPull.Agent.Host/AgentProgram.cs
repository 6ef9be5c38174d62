using System.CommandLine;
using GuestPull.Cli.Hosting;
using Microsoft.Extensions.Logging;

namespace GuestPull.Agent.Host;

/// <summary>
/// <c>guestpull-agent</c>: the flags of <c>guestpull agent</c> (<c>--listen</c>, <c>--config</c>,
/// <c>--log-level</c>, <c>--verbose</c>) parsed the same way, running the same <see cref="AgentHost"/>.
/// </summary>
internal static class AgentProgram
{
    private const string Name = "guestpull-agent";

    /// <summary>The exit code of a refused configuration, as <c>guestpull agent</c> returns it.</summary>
    private const int ExitUsage = 2;

    public static Task<int> RunAsync(string[] args)
    {
        var listen = new Option<string>("--listen")
        {
            Description = "ttrpc address to serve: unix:///PATH, or serial:///dev/virtio-ports/NAME (a virtio-serial port in a VM)",
            HelpName = "ADDRESS",
            Required = true,
        };
        var config = new Option<string?>("--config")
        {
            Description = "agent TOML config: image_root, bundle_root, registries_conf, auth_file, policy, pull_concurrency, pull_timeout_seconds, …",
            HelpName = "FILE",
        };
        var logLevel = new Option<LogLevel>("--log-level")
        {
            Description = "least severe log level written to stderr",
            DefaultValueFactory = _ => LogLevel.Information,
        };
        var verbose = new Option<bool>("--verbose", "-v")
        {
            Description = "same as --log-level Debug",
        };
        var root = new RootCommand("guestpull-agent: the guest agent (pulls images inside the sandbox, runs containers with runc)")
        {
            listen,
            config,
            logLevel,
            verbose,
        };
        root.SetAction(async (result, ct) =>
        {
            // A daemon reports its lifecycle at Information unless asked otherwise, as `guestpull agent` does.
            var level = result.GetValue(verbose) ? LogLevel.Debug : result.GetValue(logLevel);
            using var logging = CliLogging.CreateForDaemon(level);
            try
            {
                var options = new AgentOptions { Listen = result.GetValue(listen)!, ConfigFile = result.GetValue(config) };
                return await AgentHost.RunAsync(options, logging, ct).ConfigureAwait(false);
            }
            catch (AgentConfigurationException ex)
            {
                await Console.Error.WriteLineAsync(Name + ": error: " + ex.Message).ConfigureAwait(false);
                return ExitUsage;
            }
        });
        return root.Parse(args).InvokeAsync();
    }
}
