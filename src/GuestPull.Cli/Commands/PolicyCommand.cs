using System.CommandLine;
using GuestPull.Cli.Registry;
using GuestPull.Images.Signatures;
using Microsoft.Extensions.Logging;

namespace GuestPull.Cli.Commands;

/// <summary>
/// <c>guestpull policy check</c>: evaluates the signature policy for an image without pulling
/// layers and prints the decision. Exit 0 when accepted, 1 when rejected (or the registry
/// failed), 2 for bad usage or a malformed policy. Also holds the <c>--policy</c> and
/// <c>--registries-d</c> options <c>pull</c> shares.
/// </summary>
internal sealed class PolicyCommand
{
    private readonly RegistryCommandOptions _registry = new();
    private readonly Option<string?> _policy = new("--policy")
    {
        Description = $"containers-policy.json to evaluate (default: {SignaturePolicy.DefaultPath}, which must then exist)",
        HelpName = "FILE",
    };
    private readonly Option<string?> _registriesD = CreateRegistriesDOption();

    public static Option<string?> CreatePolicyOption() => new("--policy")
    {
        Description = $"containers-policy.json to enforce (default: {SignaturePolicy.DefaultPath}; a missing default file means no policy, with a warning, while a missing --policy file is an error)",
        HelpName = "FILE",
    };

    public static Option<string?> CreateRegistriesDOption() => new("--registries-d")
    {
        Description = $"containers-registries.d directory naming lookaside signature stores (default: {RegistriesDirectory.DefaultPath})",
        HelpName = "DIR",
    };

    /// <summary>
    /// The policy to enforce: the explicit file (which must exist), else the default file when it
    /// exists, else null with a warning — so a machine without /etc/containers/policy.json keeps
    /// pulling as before, while a typo in an explicit path never silently disables verification.
    /// </summary>
    public static SignaturePolicy? LoadPolicy(string? explicitPath, ILogger logger)
    {
        if (explicitPath is not null)
        {
            return SignaturePolicy.Load(explicitPath);
        }

        if (File.Exists(SignaturePolicy.DefaultPath))
        {
            return SignaturePolicy.Load(SignaturePolicy.DefaultPath);
        }

        logger.LogWarning("no signature policy: {Path} does not exist and --policy was not given; signatures are not checked", SignaturePolicy.DefaultPath);
        return null;
    }

    public static RegistriesDirectory LoadRegistriesDirectory(string? explicitPath)
    {
        if (explicitPath is not null && !Directory.Exists(explicitPath))
        {
            throw new DirectoryNotFoundException($"--registries-d: {explicitPath} is not a directory");
        }

        return RegistriesDirectory.Load(explicitPath ?? RegistriesDirectory.DefaultPath);
    }

    public Command Build(GlobalOptions global)
    {
        var check = new Command("check", "Evaluate the signature policy for an image (no layer is downloaded); exit 0 only when accepted")
        {
            _policy,
            _registriesD,
        };
        _registry.AddTo(check);
        global.AddTo(check);
        check.SetAction((result, ct) => CommandRunner.RunAsync(result, global, (logging, token) => RunCheckAsync(result, logging, token), ct));
        return new Command("policy", "Signature policy (containers-policy.json) tools") { check };
    }

    private async Task<int> RunCheckAsync(ParseResult result, ILoggerFactory logging, CancellationToken cancellationToken)
    {
        var platform = _registry.GetPlatform(result);
        var explicitPolicy = result.GetValue(_policy);
        if (explicitPolicy is null && !File.Exists(SignaturePolicy.DefaultPath))
        {
            throw new FileNotFoundException($"no signature policy to check: {SignaturePolicy.DefaultPath} does not exist (use --policy FILE)");
        }

        var policy = LoadPolicy(explicitPolicy, logging.CreateLogger<PolicyCommand>())!;
        var registriesDirectory = LoadRegistriesDirectory(result.GetValue(_registriesD));
        var (client, reference) = await _registry.ConnectAsync(result, logging, cancellationToken).ConfigureAwait(false);
        using var disposeClient = client;
        using var evaluator = new PolicyEvaluator(policy, registriesDirectory, client, logging.CreateLogger<PolicyEvaluator>());
        var image = await client.ResolveImageAsync(reference, platform, cancellationToken).ConfigureAwait(false);
        var decision = await evaluator.EvaluateAsync(image, cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"{(decision.Accepted ? "accepted" : "rejected")} {reference} {image.TopDigest}");
        Console.WriteLine($"  policy:      {policy.Source}");
        Console.WriteLine($"  scope:       {decision.Scope}");
        Console.WriteLine($"  requirement: {decision.Requirement}");
        Console.WriteLine($"  reason:      {decision.Reason}");
        return decision.Accepted ? 0 : CommandRunner.ExitFailure;
    }
}
