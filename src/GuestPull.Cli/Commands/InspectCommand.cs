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

    private readonly Option<string?> _platform = new("--platform")
    {
        Description = "os/arch[/variant] to pick from an index (default: this machine's)",
        HelpName = "OS/ARCH[/VARIANT]",
    };

    private readonly Option<bool> _raw = new("--raw")
    {
        Description = "print the manifest (or index) bytes exactly as the registry served them",
    };

    private readonly Option<string> _format = new("--format")
    {
        Description = "output format",
        DefaultValueFactory = _ => "text",
    };

    private readonly Argument<string> _reference = new("REF")
    {
        Description = "image reference, e.g. busybox, registry:5000/app:1.0 or repo@sha256:…",
    };

    public Command Build(GlobalOptions global)
    {
        _format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("inspect", "Show an image's manifest digest, platform, config and layers (no layer is downloaded)")
        {
            _platform,
            _raw,
            _format,
            _reference,
        };
        _registry.AddTo(command);
        global.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, global, (logging, token) => RunAsync(result, logging, token), ct));
        return command;
    }

    private async Task<int> RunAsync(ParseResult result, ILoggerFactory logging, CancellationToken cancellationToken)
    {
        var reference = ImageReference.Parse(result.GetValue(_reference)!);
        var platformText = result.GetValue(_platform);
        var platform = platformText is null ? null : Platform.Parse(platformText);
        using var client = new RegistryClient(_registry.Build(result, reference), logging.CreateLogger<RegistryClient>());
        reference = await client.QualifyAsync(reference, cancellationToken).ConfigureAwait(false);

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
