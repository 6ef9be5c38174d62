using System.CommandLine;
using GuestPull.Cli.Output;
using GuestPull.Cli.Registry;
using GuestPull.Images.Bundles;
using GuestPull.Images.Pull;
using GuestPull.Images.Signatures;
using GuestPull.Images.Spec;
using GuestPull.Images.Store;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using Microsoft.Extensions.Logging;

namespace GuestPull.Cli.Commands;

/// <summary><c>guestpull pull</c>: pulls an image into the layer store and optionally writes an OCI bundle.</summary>
internal sealed class PullCommand
{
    private readonly RegistryCommandOptions _registry = new();
    private readonly Option<string> _root = StoreOptions.CreateRoot();
    private readonly Option<string?> _policy = PolicyCommand.CreatePolicyOption();
    private readonly Option<string?> _registriesD = PolicyCommand.CreateRegistriesDOption();
    private readonly DecryptionOptions _decryption = new();

    private readonly Option<string?> _bundle = new("--bundle")
    {
        Description = "write an OCI bundle here: rootfs/ (overlayfs of the layers) and config.json",
        HelpName = "DIR",
    };

    private readonly Option<bool> _flatten = new("--flatten")
    {
        Description = "make rootfs/ a plain directory with the layers applied in order instead of an overlay mount",
    };

    private readonly Option<int> _concurrency = new("--max-concurrent-downloads")
    {
        Description = "layers downloaded and unpacked at once",
        HelpName = "N",
        DefaultValueFactory = _ => 3,
    };

    private readonly Option<string?> _maxLayerSize = new("--max-layer-size")
    {
        Description = "refuse a layer whose uncompressed size exceeds this (e.g. 8G); default: the store's free space when the layer starts",
        HelpName = "SIZE",
    };

    public Command Build(GlobalOptions global)
    {
        var command = new Command("pull", "Pull an image into the layer store (verifying every digest) and optionally write an OCI bundle")
        {
            _root,
            _bundle,
            _flatten,
            _concurrency,
            _maxLayerSize,
            _policy,
            _registriesD,
        };
        _decryption.AddTo(command);
        _registry.AddTo(command);
        global.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, global, (logging, token) => RunAsync(result, logging, token), ct));
        return command;
    }

    private async Task<int> RunAsync(ParseResult result, ILoggerFactory logging, CancellationToken cancellationToken)
    {
        var platform = _registry.GetPlatform(result);
        var concurrency = result.GetValue(_concurrency);
        if (concurrency < 1)
        {
            throw new ArgumentException("--max-concurrent-downloads must be at least 1");
        }

        long? maxLayerSize = result.GetValue(_maxLayerSize) is { } size ? SizeParser.Parse(size, "--max-layer-size") : null;
        var bundleDirectory = result.GetValue(_bundle);

        var policy = PolicyCommand.LoadPolicy(result.GetValue(_policy), logging.CreateLogger<PullCommand>());
        var registriesDirectory = policy is null ? null : PolicyCommand.LoadRegistriesDirectory(result.GetValue(_registriesD));

        var (decryption, keys) = _decryption.Load(result, logging.CreateLogger<DecryptionOptions>());
        using var disposeKeys = new KeyDisposer(keys);
        var (client, reference) = await _registry.ConnectAsync(result, logging, cancellationToken).ConfigureAwait(false);
        using var disposeClient = client;
        using var evaluator = policy is null ? null : new PolicyEvaluator(policy, registriesDirectory, client, logging.CreateLogger<PolicyEvaluator>());
        await using var store = await LayerStore.OpenAsync(result.GetValue(_root)!, logging.CreateLogger<LayerStore>(), cancellationToken).ConfigureAwait(false);
        var puller = new ImagePuller(client, store, new ImagePullOptions { MaxConcurrentLayers = concurrency, MaxLayerSize = maxLayerSize, Policy = evaluator, Decryption = decryption }, logging.CreateLogger<ImagePuller>());

        PulledImage pulled;
        try
        {
            pulled = await PullProgressRenderer.RunAsync(progress => puller.PullAsync(reference, platform, progress, cancellationToken)).ConfigureAwait(false);
        }
        catch (PolicyRejectedException ex)
        {
            await Console.Error.WriteLineAsync("guestpull: error: " + ex.Message).ConfigureAwait(false);
            return CommandRunner.ExitFailure;
        }

        if (pulled.PolicyDecision is { } decision)
        {
            Console.WriteLine($"signature policy: {decision}");
        }

        Console.WriteLine($"{pulled.Record.Reference} {pulled.Record.ManifestDigest} ({pulled.LayersDownloaded} layers downloaded, {pulled.LayersCached} cached)");

        if (bundleDirectory is not null)
        {
            var writer = new BundleWriter(logging.CreateLogger<BundleWriter>());
            var mode = result.GetValue(_flatten) ? BundleMode.Flatten : BundleMode.Overlay;
            var bundle = await writer.CreateAsync(
                Path.GetFullPath(bundleDirectory),
                pulled.LayerDirectories,
                rootfs => RuntimeSpecBuilder.Build(pulled.Image.Config, rootfs),
                mode,
                cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"bundle {bundle.Directory} ({bundle.Mode.ToString().ToLowerInvariant()})");
        }

        return 0;
    }
}
