using System.CommandLine;
using GuestPull.Agent.Hosting;
using GuestPull.Cli.Hosting;

namespace GuestPull.Cli.Commands;

/// <summary><c>guestpull agent</c>: the guest agent, the same command line as <c>guestpull-agent</c> (the daemon has its own --log-level).</summary>
internal static class AgentCommand
{
    public static Command Build()
    {
        var command = new Command("agent", AgentCommandLine.Description);
        AgentCommandLine.Configure(command, "guestpull agent", CliLogging.CreateForDaemon);
        return command;
    }
}
