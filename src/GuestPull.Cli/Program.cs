using System.CommandLine;
using GuestPull.Cli.Commands;

namespace GuestPull.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == MountHelperCommand.Name)
        {
            return await MountHelperCommand.RunAsync(args[1..]).ConfigureAwait(false);
        }

        var global = new GlobalOptions();
        var root = new RootCommand("guestpull: guest image pull for confidential containers (Kata Containers compatible)");
        root.Subcommands.Add(new InspectCommand().Build(global));
        root.Subcommands.Add(new PullCommand().Build(global));
        root.Subcommands.Add(new PolicyCommand().Build(global));
        root.Subcommands.Add(SnapshotterCommand.Build());
        root.Subcommands.Add(CacheCommand.Build());
        root.Subcommands.Add(AgentCommand.Build());
        root.Subcommands.Add(ShimCommand.Build());
        root.Subcommands.Add(VerifyCommand.Build(global));
        root.Subcommands.Add(SmokeTestCommand.Build(global));
        root.Subcommands.Add(MountHelperCommand.Build());
        root.Subcommands.Add(InstallCommand.Build(global));
        root.Subcommands.Add(UninstallCommand.Build(global));
        root.Subcommands.Add(DoctorCommand.Build(global));
        foreach (var command in StoreCommands.Build(global))
        {
            root.Subcommands.Add(command);
        }

        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }
}
