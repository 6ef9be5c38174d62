using System.CommandLine;
using GuestPull.Linux;
using GuestPull.Snapshotter.Mounts;

namespace GuestPull.Cli.Commands;

/// <summary>
/// <c>guestpull mount-helper SOURCE TARGET -o OPTIONS</c>: what <c>nydus-overlayfs</c> (the launcher
/// build.sh writes, found by mount.fuse) runs when containerd mounts a guest-pull snapshot on the host.
/// </summary>
internal static class MountHelperCommand
{
    public const string Name = "mount-helper";

    /// <summary>The command as help lists it; <see cref="Program"/> runs it before parsing (see <see cref="RunAsync"/>).</summary>
    public static Command Build()
    {
        var arguments = new Argument<string[]>("ARGS") { Description = "SOURCE TARGET -o OPTIONS, as mount.fuse passes them", Arity = ArgumentArity.OneOrMore };
        var command = new Command(Name, "Mount helper for fuse.nydus-overlayfs snapshots mounted on the host (mount.fuse runs it as nydus-overlayfs)")
        {
            arguments,
        };
        command.SetAction((result, ct) => RunAsync(result.GetValue(arguments) ?? []));
        return command;
    }

    /// <summary>
    /// Runs with the raw arguments: mount helpers take <c>-o</c> anywhere and a command-line parser
    /// would read it as an option of its own.
    /// </summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> arguments)
    {
        try
        {
            OverlayMountHelper.Mount(OverlayMountHelper.Parse(arguments));
            return 0;
        }
        catch (Exception ex) when (ex is ArgumentException or NativeCallException)
        {
            await Console.Error.WriteLineAsync("nydus-overlayfs (guestpull mount-helper): " + ex.Message).ConfigureAwait(false);
            return 32; // mount(8)'s "mount failure"
        }
    }
}
