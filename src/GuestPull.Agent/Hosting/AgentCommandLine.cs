using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace GuestPull.Agent.Hosting;

/// <summary>
/// The agent's command line, one definition for both programs that run it: the NativeAOT
/// <c>guestpull-agent</c> in the guest and the <c>guestpull agent</c> alias. Flags: <c>--listen</c>,
/// <c>--config</c>, <c>--log-level</c> (Information by default: a daemon reports its lifecycle) and
/// <c>--verbose</c>.
/// </summary>
public static class AgentCommandLine
{
    /// <summary>The exit code of a refused configuration or bad usage.</summary>
    public const int ExitUsage = 2;

    /// <summary>What the agent does, for help output.</summary>
    public const string Description = "Run the guest agent: image_guest_pull storages are pulled in the sandbox, containers run with runc";

    /// <summary>Adds the agent's options to <paramref name="command"/> and makes running it run the agent.</summary>
    /// <param name="command">The command to configure (a root command, or a sub-command of a larger tool).</param>
    /// <param name="program">How error messages name the program, e.g. <c>guestpull agent</c>.</param>
    /// <param name="createLogging">Makes the logger factory for the chosen minimum level.</param>
    public static void Configure(Command command, string program, Func<LogLevel, ILoggerFactory> createLogging)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(createLogging);
        var listen = new Option<string>("--listen")
        {
            Description = "ttrpc address to serve: unix:///PATH, or serial:///dev/virtio-ports/NAME (a virtio-serial port in a VM)",
            HelpName = "ADDRESS",
            Required = true,
        };
        var config = new Option<string?>("--config")
        {
            Description = "agent TOML config: image_root, bundle_root, registries_conf, auth_file, policy, pull_concurrency, pull_timeout_seconds, max_layer_size, …",
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
        command.Options.Add(listen);
        command.Options.Add(config);
        command.Options.Add(logLevel);
        command.Options.Add(verbose);
        command.SetAction(async (result, ct) =>
        {
            var level = result.GetValue(verbose) ? LogLevel.Debug : result.GetValue(logLevel);
            using var logging = createLogging(level);
            try
            {
                var options = new AgentOptions { Listen = result.GetValue(listen)!, ConfigFile = result.GetValue(config) };
                return await AgentHost.RunAsync(options, logging, ct).ConfigureAwait(false);
            }
            catch (AgentConfigurationException ex)
            {
                await Console.Error.WriteLineAsync(program + ": error: " + ex.Message).ConfigureAwait(false);
                return ExitUsage;
            }
        });
    }
}
