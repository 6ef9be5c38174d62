using System.CommandLine;
using GuestPull.Shim;

namespace GuestPull.Cli.Commands;

/// <summary>
/// <c>guestpull shim</c>: containerd's v2 shim for the guestpull runtime. The launcher
/// <c>containerd-shim-guestpull-v2</c> execs it with containerd's Go-style flags
/// (<c>-namespace NS -address SOCK -publish-binary BIN -id ID [-bundle DIR] [-debug] start|delete</c>),
/// so they are parsed by <see cref="ShimArguments"/>, not System.CommandLine.
/// </summary>
internal static class ShimCommand
{
    public static Command Build()
    {
        var command = new Command("shim", "containerd shim v2 of the guestpull runtime (run by containerd as containerd-shim-guestpull-v2)")
        {
            Hidden = true,
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(async (result, ct) =>
        {
            ShimArguments arguments;
            try
            {
                arguments = ShimArguments.Parse([.. result.UnmatchedTokens]);
            }
            catch (ShimException ex)
            {
                await Console.Error.WriteLineAsync("guestpull " + ex.Message).ConfigureAwait(false);
                return CommandRunner.ExitUsage;
            }

            try
            {
                switch (arguments.Action)
                {
                    case ShimAction.Start:
                        // containerd reads the address from the combined output: print nothing else.
                        await Console.Out.WriteAsync(await ShimHost.StartAsync(arguments, ct).ConfigureAwait(false)).ConfigureAwait(false);
                        await Console.Out.FlushAsync(ct).ConfigureAwait(false);
                        return 0;
                    case ShimAction.Delete:
                        var response = await ShimHost.DeleteAsync(arguments, ct).ConfigureAwait(false);
                        var stdout = Console.OpenStandardOutput();
                        await using (stdout.ConfigureAwait(false))
                        {
                            await stdout.WriteAsync(response, ct).ConfigureAwait(false);
                        }

                        return 0;
                    default:
                        return await ShimHost.ServeAsync(arguments, ct).ConfigureAwait(false);
                }
            }
            catch (ShimException ex)
            {
                await Console.Error.WriteLineAsync("guestpull shim: error: " + ex.Message).ConfigureAwait(false);
                return CommandRunner.ExitFailure;
            }
        });
        return command;
    }
}
