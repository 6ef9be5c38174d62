using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace GuestPull.Agent.ConfidentialDataHub;

/// <summary>
/// The command line of <c>confidential-data-hub</c> (the agent executable run under that name, or
/// <c>guestpull-agent cdh</c>): <c>-c FILE</c> as kata-agent passes it, plus <c>--kernel-cmdline</c>.
/// </summary>
public static class CdhCommandLine
{
    /// <summary>The program name kata-agent starts; the agent executable serves CDH when run under it.</summary>
    public const string ProgramName = "confidential-data-hub";

    /// <summary>What the command does, for help output.</summary>
    public const string Description = "Serve confidential-data-hub's image pull (api.ImagePullService) for kata-agent, with GuestPull's image service";

    /// <summary>Adds the options to <paramref name="command"/> and makes running it run the service.</summary>
    /// <param name="command">A root command or a sub-command.</param>
    /// <param name="program">How error messages name the program.</param>
    /// <param name="createLogging">Makes the logger factory for the chosen minimum level.</param>
    public static void Configure(Command command, string program, Func<LogLevel, ILoggerFactory> createLogging)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(createLogging);
        var config = new Option<string?>("--config", "-c")
        {
            Description = "cdh.toml: socket, [image] (image-rs's keys); other sections are accepted and not served",
            HelpName = "FILE",
        };
        var kernelCommandLine = new Option<string>("--kernel-cmdline")
        {
            Description = "the kernel command line read for agent.image_registry_auth and friends when cdh.toml has no [image]",
            HelpName = "FILE",
            DefaultValueFactory = _ => KernelCommandLine.DefaultPath,
        };
        var logLevel = new Option<LogLevel>("--log-level")
        {
            Description = "least severe log level written to stderr",
            DefaultValueFactory = _ => LogLevel.Information,
        };
        command.Options.Add(config);
        command.Options.Add(kernelCommandLine);
        command.Options.Add(logLevel);
        command.SetAction(async (result, ct) =>
        {
            using var logging = createLogging(result.GetValue(logLevel));
            try
            {
                var options = new CdhOptions { ConfigFile = result.GetValue(config), KernelCommandLine = result.GetValue(kernelCommandLine)! };
                return await CdhHost.RunAsync(options, logging, ct).ConfigureAwait(false);
            }
            catch (AgentConfigurationException ex)
            {
                await Console.Error.WriteLineAsync(program + ": error: " + ex.Message).ConfigureAwait(false);
                return Hosting.AgentCommandLine.ExitUsage;
            }
        });
    }
}
