using System.CommandLine;
using GuestPull.Cli.Hosting;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using GuestPull.Oci.Registry.Configuration;
using Microsoft.Extensions.Logging;

namespace GuestPull.Cli.Commands;

/// <summary>
/// Runs a command body with logging set up and turns the errors users can act on into one line on
/// stderr and a non-zero exit code, instead of a stack trace.
/// </summary>
internal static class CommandRunner
{
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    public static async Task<int> RunAsync(ParseResult result, GlobalOptions global, Func<ILoggerFactory, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        using var logging = CliLogging.Create(global.GetLevel(result));
        try
        {
            return await body(logging, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("guestpull: cancelled").ConfigureAwait(false);
            return 130;
        }
        catch (Exception ex) when (IsUserFacing(ex))
        {
            await Console.Error.WriteLineAsync("guestpull: error: " + ex.Message).ConfigureAwait(false);
            return ex is ArgumentException or FormatException and not OciFormatException ? ExitUsage : ExitFailure;
        }
    }

    private static bool IsUserFacing(Exception ex) => ex is RegistryException or OciFormatException or PlatformNotFoundException
        or Images.Pull.LayerPullException or Unpack.InvalidLayerException or Images.Spec.RuntimeSpecException
        or Linux.NativeCallException or Ocicrypt.Keys.KeyLoadException
        or RegistryBlockedException or FormatException or ArgumentException or IOException or UnauthorizedAccessException
        or InvalidDataException or System.Text.Json.JsonException or TimeoutException;
}
