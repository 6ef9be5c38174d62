using System.CommandLine;
using GuestPull.Install;

namespace GuestPull.Cli.Commands;

/// <summary><c>guestpull uninstall</c>: undoes every step install recorded, in reverse.</summary>
internal static class UninstallCommand
{
    public static Command Build(GlobalOptions global)
    {
        var locations = new InstallLocationOptions();
        var keepState = new Option<bool>("--keep-state") { Description = "keep the state directory (install record, snapshotter log)" };
        var configOnly = new Option<bool>("--config-only") { Description = "only take GuestPull out of containerd's config" };
        var command = new Command("uninstall", "Undo guestpull install: containerd's config comes back byte-identical when nobody changed it since");
        locations.AddTo(command);
        command.Options.Add(keepState);
        command.Options.Add(configOnly);
        global.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, global, async (_, token) =>
        {
            var options = locations.Read(result) with { ConfigOnly = result.GetValue(configOnly) };
            try
            {
                var report = await GuestPullInstaller.UninstallAsync(options, result.GetValue(keepState), token).ConfigureAwait(false);
                await InstallOutput.WriteAsync(report).ConfigureAwait(false);
                return 0;
            }
            catch (InstallException ex)
            {
                await Console.Error.WriteLineAsync("guestpull uninstall: error: " + ex.Message).ConfigureAwait(false);
                return CommandRunner.ExitFailure;
            }
        }, ct));
        return command;
    }
}
