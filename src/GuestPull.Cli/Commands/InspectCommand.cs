using System.CommandLine;
using GuestPull.Cli.Hosting;
using GuestPull.Cli.Output;
using GuestPull.Cli.Registry;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using Microsoft.Extensions.Logging;

namespace GuestPull.Cli.Commands;

/// <summary><c>guestpull inspect</c>: shows an image's manifest, config and layers without pulling layers.</summary>
internal sealed class InspectCommand
{
    private readonly RegistryCommandOptions _registry = new();

    private readonly Option<bool> _raw = new("--raw")
    {
        Description = "print the manifest (or index) bytes exactly as the registry served them",
    };

    private readonly Option<string> _format = new("--format")
    {
        Description = "output format",
        DefaultValueFactory = _ => "text",
    };

    public Command Build(GlobalOptions global)
    {
        _format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("inspect", "Show an image's manifest digest, platform, config and layers (no layer is downloaded)")
        {
            _raw,
            _format,
        };
        _registry.AddTo(command);
        global.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, global, (logging, token) => RunAsync(result, logging, token), ct));
        return command;
    }

    private async Task<int> RunAsync(ParseResult result, ILoggerFactory logging, CancellationToken cancellationToken)
    {
        var platform = _registry.GetPlatform(result);
        var (client, reference) = await _registry.ConnectAsync(result, logging, cancellationToken).ConfigureAwait(false);
        using var disposeClient = client;

        if (result.GetValue(_raw))
        {
            var fetched = await client.GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
            await using var stdout = Console.OpenStandardOutput();
            await stdout.WriteAsync(fetched.Document.Bytes, cancellationToken).ConfigureAwait(false);
            return 0;
        }

        var image = await client.ResolveImageAsync(reference, platform, cancellationToken).ConfigureAwait(false);
        if (result.GetValue(_format) == "json")
        {
            await using var stdout = Console.OpenStandardOutput();
            await InspectJsonWriter.WriteAsync(stdout, image, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            InspectTextRenderer.Render(image);
        }

        return 0;
    }
}
