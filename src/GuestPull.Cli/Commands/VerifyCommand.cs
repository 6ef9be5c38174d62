using System.CommandLine;
using System.Text.Json;
using Grpc.Core;
using GuestPull.Cli.Output;
using GuestPull.Install.Verify;
using GuestPull.Api.Grpc;
using GuestPull.Api.Cri.V1;
using Spectre.Console;

namespace GuestPull.Cli.Commands;

/// <summary>
/// <c>guestpull verify SANDBOX_ID</c>: checks that no rootfs of a pod is on the host, i.e. that its
/// images (pause included) were pulled in the guest. Exit 0 only when that holds.
/// </summary>
internal static class VerifyCommand
{
    /// <summary>Where GuestPull's shim shares host files with its sandboxes.</summary>
    public const string DefaultSharedRoot = "/run/guestpull/shared/sandboxes";

    public static Command Build(GlobalOptions global)
    {
        var sandbox = new Argument<string>("SANDBOX_ID") { Description = "the pod sandbox id (crictl pods -q; a unique prefix is enough)" };
        var sharedRoot = new Option<string>("--shared-root")
        {
            Description = $"the host directory holding one directory per sandbox ({DefaultSharedRoot}; /run/kata-containers/shared/sandboxes on a Kata node)",
            HelpName = "DIR",
            DefaultValueFactory = _ => DefaultSharedRoot,
        };
        var address = new Option<string>("--address")
        {
            Description = "containerd's gRPC socket (its CRI service names the pod's containers)",
            HelpName = "SOCK",
            DefaultValueFactory = _ => "/run/containerd/containerd.sock",
        };
        var format = new Option<string>("--format")
        {
            Description = "text or json",
            DefaultValueFactory = _ => "text",
        };
        format.AcceptOnlyFromAmong("text", "json");

        var command = new Command("verify", "Check that a pod's images were pulled in the guest: no rootfs of the pod under the host's shared directory")
        {
            sandbox, sharedRoot, address, format,
        };
        global.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, global, async (_, token) =>
        {
            var socket = result.GetValue(address)!;
            using var channel = UnixSocketChannel.Create(socket);
            var verifier = new SandboxVerifier(new RuntimeService.RuntimeServiceClient(channel), Path.GetFullPath(result.GetValue(sharedRoot)!));
            SandboxVerification verification;
            try
            {
                verification = await verifier.VerifyAsync(result.GetValue(sandbox)!, token).ConfigureAwait(false);
            }
            catch (RpcException ex)
            {
                throw new IOException($"containerd's CRI service at {socket} did not answer: {ex.Status.StatusCode} {ex.Status.Detail}", ex);
            }

            if (result.GetValue(format) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(verification, VerifyJsonContext.Default.SandboxVerification));
            }
            else
            {
                Render(verification);
            }

            return verification.Passed ? 0 : CommandRunner.ExitFailure;
        }, ct));
        return command;
    }

    public static void Render(SandboxVerification verification)
    {
        var console = TerminalConsole.Create();
        console.WriteLine($"pod {verification.PodNamespace}/{verification.PodName} sandbox {verification.SandboxId} (runtime handler {(verification.RuntimeHandler.Length == 0 ? "default" : verification.RuntimeHandler)})");
        console.WriteLine($"isolation: {verification.Isolation}");
        console.WriteLine($"host shared directory {verification.SandboxDirectory}: {verification.HostRootfs.Count} rootfs director{(verification.HostRootfs.Count == 1 ? "y" : "ies")}");
        var table = new Table().Border(TableBorder.Simple).AddColumns("CONTAINER", "NAME", "IMAGE", "STATE", "ROOTFS");
        foreach (var container in verification.Containers)
        {
            table.AddRow(
                new Text(container.Id.Length > 13 ? container.Id[..13] : container.Id),
                new Text(container.Name),
                new Text(container.Image),
                new Text(container.State),
                new Text(container.PulledInGuest ? "pulled in the guest" : "ON THE HOST: " + string.Join(", ", container.HostRootfs)));
        }

        console.Write(table);
        foreach (var path in verification.HostRootfs.Where(p => verification.Containers.All(c => !c.HostRootfs.Contains(p))))
        {
            console.WriteLine($"rootfs on the host, of no listed container: {path}");
        }

        if (verification.Problem is not null)
        {
            console.WriteLine($"FAIL: {verification.Problem}");
        }
        else
        {
            console.WriteLine(verification.Passed
                ? "PASS: no rootfs of this pod is on the host"
                : $"FAIL: {verification.HostRootfs.Count} rootfs director{(verification.HostRootfs.Count == 1 ? "y is" : "ies are")} on the host");
        }
    }
}
