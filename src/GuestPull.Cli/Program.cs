using System.CommandLine;
using GuestPull.Cli.Commands;

namespace GuestPull.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var global = new GlobalOptions();
        var root = new RootCommand("guestpull: guest image pull for confidential containers (Kata Containers compatible)");
        root.Subcommands.Add(new InspectCommand().Build(global));
        root.Subcommands.Add(new PullCommand().Build(global));
        root.Subcommands.Add(SnapshotterCommand.Build());
        root.Subcommands.Add(AgentCommand.Build(global));
        foreach (var command in StoreCommands.Build(global))
        {
            root.Subcommands.Add(command);
        }

        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }
}
