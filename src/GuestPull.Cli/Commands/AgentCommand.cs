using System.CommandLine;
using GuestPull.Agent;
using GuestPull.Cli.Hosting;

namespace GuestPull.Cli.Commands;

/// <summary><c>guestpull agent</c>: the guest agent (pulls images inside the sandbox, runs containers with runc).</summary>
internal static class AgentCommand
{
    public static Command Build(GlobalOptions global)
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
        var command = new Command("agent", "Run the guest agent: image_guest_pull storages are pulled in the sandbox, containers run with runc")
        {
            listen,
            config,
        };
        global.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            // A daemon reports its lifecycle at Information; the Warning default suits one-shot commands only.
            var level = result.GetResult(global.LogLevel) is null or { Implicit: true } && !result.GetValue(global.Verbose)
                ? Microsoft.Extensions.Logging.LogLevel.Information
                : global.GetLevel(result);
            using var logging = CliLogging.CreateForDaemon(level);
            try
            {
                return await AgentHost.RunAsync(new AgentOptions { Listen = result.GetValue(listen)!, ConfigFile = result.GetValue(config) }, logging, ct).ConfigureAwait(false);
            }
            catch (AgentConfigurationException ex)
            {
                await Console.Error.WriteLineAsync("guestpull agent: error: " + ex.Message).ConfigureAwait(false);
                return CommandRunner.ExitUsage;
            }
        });
        return command;
    }
}
