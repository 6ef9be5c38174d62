using System.CommandLine;
using System.Globalization;
using Grpc.Core;
using GuestPull.Cli.Output;
using GuestPull.Install.SmokeTest;
using GuestPull.Install.Verify;
using GuestPull.Api.Grpc;
using GuestPull.Api.Cri.V1;
using Spectre.Console;

namespace GuestPull.Cli.Commands;

/// <summary>
/// <c>guestpull smoke-test IMAGE [-- COMMAND…]</c>: runs a pod through containerd's CRI with the
/// GuestPull runtime handler, prints the container's output and the <c>verify</c> report, removes the
/// pod. Exit 0 only when the container exited 0 and no rootfs of the pod was on the host.
/// </summary>
internal static class SmokeTestCommand
{
    public static Command Build(GlobalOptions global)
    {
        var image = new Argument<string>("IMAGE") { Description = "the image the pod runs (as kubelet would name it)" };
        var command = new Argument<string[]>("COMMAND") { Description = "the container's command (after --); the image's own by default", Arity = ArgumentArity.ZeroOrMore };
        var handler = new Option<string>("--runtime-handler")
        {
            Description = "the CRI runtime handler (containerd's runtimes.NAME)",
            HelpName = "NAME",
            DefaultValueFactory = _ => "guestpull",
        };
        var address = new Option<string>("--address")
        {
            Description = "containerd's gRPC socket",
            HelpName = "SOCK",
            DefaultValueFactory = _ => "/run/containerd/containerd.sock",
        };
        var sharedRoot = new Option<string>("--shared-root")
        {
            Description = "the host's shared directory of sandboxes, for the verify check",
            HelpName = "DIR",
            DefaultValueFactory = _ => VerifyCommand.DefaultSharedRoot,
        };
        var noVerify = new Option<bool>("--no-verify") { Description = "skip the check that no rootfs of the pod is on the host (for a runc handler)" };
        var timeout = new Option<int>("--timeout")
        {
            Description = "seconds the whole pod may take",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => 300,
        };
        var logDirectory = new Option<string>("--log-dir")
        {
            Description = "where the pod's CRI log goes while it runs (removed afterwards)",
            HelpName = "DIR",
            DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "guestpull-smoke-test"),
        };

        var smoke = new Command("smoke-test", "Run a pod through containerd's CRI with the GuestPull runtime, print its output and the verify report, then remove it")
        {
            image, command, handler, address, sharedRoot, noVerify, timeout, logDirectory,
        };
        global.AddTo(smoke);
        smoke.SetAction((result, ct) => CommandRunner.RunAsync(result, global, async (_, token) =>
        {
            var seconds = result.GetValue(timeout);
            if (seconds < 1)
            {
                throw new ArgumentException("--timeout must be at least 1 second");
            }

            var socket = result.GetValue(address)!;
            using var channel = UnixSocketChannel.Create(socket);
            var runtime = new RuntimeService.RuntimeServiceClient(channel);
            var verifier = result.GetValue(noVerify) ? null : new SandboxVerifier(runtime, Path.GetFullPath(result.GetValue(sharedRoot)!));
            var test = new PodSmokeTest(runtime, new ImageService.ImageServiceClient(channel), verifier);
            var settings = new SmokeTestSettings(
                result.GetValue(image)!,
                result.GetValue(command) ?? [],
                result.GetValue(handler)!,
                Path.GetFullPath(result.GetValue(logDirectory)!),
                TimeSpan.FromSeconds(seconds));

            var console = TerminalConsole.Create();
            SmokeTestResult outcome;
            try
            {
                outcome = await test.RunAsync(settings, step => console.WriteLine("smoke-test: " + step), token).ConfigureAwait(false);
            }
            catch (RpcException ex)
            {
                await Console.Error.WriteLineAsync("guestpull: error: the smoke-test pod failed: " + PodSmokeTest.Describe(ex)).ConfigureAwait(false);
                return CommandRunner.ExitFailure;
            }

            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"container {outcome.ContainerId[..Math.Min(13, outcome.ContainerId.Length)]} exited with {outcome.ExitCode}; its output:"));
            foreach (var line in outcome.Output)
            {
                console.WriteLine("  " + line);
            }

            if (outcome.Verification is { } verification)
            {
                VerifyCommand.Render(verification);
            }

            return outcome.ExitCode == 0 && outcome.Verification is null or { Passed: true } ? 0 : CommandRunner.ExitFailure;
        }, ct));
        return smoke;
    }
}
