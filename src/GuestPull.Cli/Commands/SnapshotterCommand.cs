using System.CommandLine;
using GuestPull.Snapshotter;

namespace GuestPull.Cli.Commands;

/// <summary>
/// <c>guestpull snapshotter</c>: the containerd proxy snapshotter daemon. Its flags are
/// nydus-snapshotter's, so a unit or DaemonSet written for nydus works with the binary swapped.
/// </summary>
internal static class SnapshotterCommand
{
    public static Command Build()
    {
        var config = new Option<string?>("--config") { Description = "TOML config (nydus's config-proxy.toml is accepted as is)", HelpName = "FILE" };
        var root = new Option<string?>("--root") { Description = $"state directory (default {SnapshotterOptions.DefaultRoot})", HelpName = "DIR" };
        var address = new Option<string?>("--address") { Description = $"unix socket containerd connects to (default {SnapshotterOptions.DefaultAddress})", HelpName = "SOCK" };
        var fsDriver = new Option<string?>("--fs-driver") { Description = "proxy (guest pull: layers are not fetched on the host) or overlayfs", HelpName = "DRIVER" };
        var logLevel = new Option<string?>("--log-level") { Description = "trace, debug, info, warn, error or none", HelpName = "LEVEL" };
        var logToStdout = new Option<bool>("--log-to-stdout") { Description = "log to standard output instead of standard error" };
        var command = new Command("snapshotter", "Run the containerd proxy snapshotter (drivers: proxy for guest pull, overlayfs)")
        {
            config,
            root,
            address,
            fsDriver,
            logLevel,
            logToStdout,
        };
        command.SetAction(async (result, ct) =>
        {
            try
            {
                return await SnapshotterHost.RunAsync(
                    new SnapshotterOptions
                    {
                        ConfigFile = result.GetValue(config),
                        Root = result.GetValue(root),
                        Address = result.GetValue(address),
                        FsDriver = result.GetValue(fsDriver),
                        LogLevel = result.GetValue(logLevel),
                        LogToStdout = result.GetValue(logToStdout) ? true : null,
                    },
                    ct).ConfigureAwait(false);
            }
            catch (SnapshotterConfigurationException ex)
            {
                await Console.Error.WriteLineAsync("guestpull snapshotter: error: " + ex.Message).ConfigureAwait(false);
                return CommandRunner.ExitUsage;
            }
        });
        return command;
    }
}
