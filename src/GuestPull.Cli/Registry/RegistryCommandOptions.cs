using System.CommandLine;
using GuestPull.Oci.Model;
using GuestPull.Oci.Registry;
using GuestPull.Oci.Registry.Auth;
using GuestPull.Oci.Registry.Configuration;
using Microsoft.Extensions.Logging;

namespace GuestPull.Cli.Registry;

/// <summary>The image argument, <c>--platform</c> and the registry flags of every command that talks to a registry (inspect, pull, policy check).</summary>
internal sealed class RegistryCommandOptions
{
    public Argument<string> Reference { get; } = new("REF")
    {
        Description = "image reference, e.g. busybox, registry:5000/app:1.0 or repo@sha256:…",
    };

    public Option<string?> Platform { get; } = new("--platform")
    {
        Description = "os/arch[/variant] to pick from an index (default: this machine's)",
        HelpName = "OS/ARCH[/VARIANT]",
    };

    public Option<string?> AuthFile { get; } = new("--auth-file")
    {
        Description = "containers auth.json with registry credentials (default: $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json, ~/.docker/config.json)",
        HelpName = "FILE",
    };

    public Option<string?> Credentials { get; } = new("--creds")
    {
        Description = "USER[:PASSWORD] for the image's registry only (never sent to mirrors); without :PASSWORD it is read from $GUESTPULL_PASSWORD",
        HelpName = "USER[:PASSWORD]",
    };

    public Option<string?> RegistriesConf { get; } = new("--registries-conf")
    {
        Description = "containers-registries.conf (v2) for mirrors, remapped, blocked and insecure registries (default: /etc/containers/registries.conf and registries.conf.d)",
        HelpName = "FILE",
    };

    public Option<string[]> InsecureRegistries { get; } = new("--insecure-registry")
    {
        Description = "talk plain HTTP to this registry (HOST[:PORT]); repeatable",
        HelpName = "HOST[:PORT]",
        AllowMultipleArgumentsPerToken = false,
        DefaultValueFactory = _ => [],
    };

    public Option<string?> CaFile { get; } = new("--tls-ca-file")
    {
        Description = "PEM file of CA certificates to trust in addition to the system roots",
        HelpName = "FILE",
    };

    public Option<int> Timeout { get; } = new("--timeout")
    {
        Description = "seconds to wait for a registry's answer before retrying",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 60,
    };

    public Option<int> Retries { get; } = new("--retries")
    {
        Description = "attempts per request on server errors and dropped connections",
        HelpName = "N",
        DefaultValueFactory = _ => 5,
    };

    public void AddTo(Command command)
    {
        command.Arguments.Add(Reference);
        command.Options.Add(Platform);
        command.Options.Add(Credentials);
        AddConnectionFlagsTo(command);
    }

    /// <summary>
    /// Adds the flags that say how registries are reached, without the image argument, --platform or
    /// --creds (a daemon such as <c>guestpull cache</c> serves many images with the node's credentials).
    /// </summary>
    public void AddConnectionFlagsTo(Command command)
    {
        command.Options.Add(AuthFile);
        command.Options.Add(RegistriesConf);
        command.Options.Add(InsecureRegistries);
        command.Options.Add(CaFile);
        command.Options.Add(Timeout);
        command.Options.Add(Retries);
    }

    /// <summary>Client options from the flags <see cref="AddConnectionFlagsTo"/> added.</summary>
    public RegistryClientOptions BuildConnection(ParseResult result) => Build(result, null);

    /// <summary>The requested platform, or null for this machine's.</summary>
    public Platform? GetPlatform(ParseResult result) => result.GetValue(Platform) is { } text ? Oci.Model.Platform.Parse(text) : null;

    /// <summary>
    /// Parses the image argument, builds a client from the flags and qualifies a short name with the
    /// configured search registries. The caller disposes the client.
    /// </summary>
    public async Task<(RegistryClient Client, ImageReference Reference)> ConnectAsync(ParseResult result, ILoggerFactory logging, CancellationToken cancellationToken)
    {
        var reference = ImageReference.Parse(result.GetValue(Reference)!);
        var client = new RegistryClient(Build(result, reference), logging.CreateLogger<RegistryClient>());
        try
        {
            return (client, await client.QualifyAsync(reference, cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Builds client options from the parsed flags; bad files and values throw with a message that names them.</summary>
    public RegistryClientOptions Build(ParseResult result, ImageReference? reference)
    {
        var registries = RegistriesConfiguration.Load(result.GetValue(RegistriesConf));
        var insecure = result.GetValue(InsecureRegistries) ?? [];
        if (insecure.Length > 0)
        {
            registries = registries.WithInsecureRegistries(insecure);
        }

        var timeout = result.GetValue(Timeout);
        var retries = result.GetValue(Retries);
        if (timeout <= 0)
        {
            throw new ArgumentException("--timeout must be a positive number of seconds");
        }

        if (retries <= 0)
        {
            throw new ArgumentException("--retries must be at least 1");
        }

        return new RegistryClientOptions
        {
            AuthFile = GuestPull.Oci.Registry.Auth.AuthFile.Load(result.GetValue(AuthFile)),
            ExplicitCredentials = reference is null ? null : ParseCredentials(result.GetValue(Credentials)),
            ExplicitCredentialsHost = reference is null || reference.IsShortName ? null : reference.Registry,
            Registries = registries,
            CaFile = result.GetValue(CaFile),
            RequestTimeout = TimeSpan.FromSeconds(timeout),
            ReadIdleTimeout = TimeSpan.FromSeconds(timeout),
            MaxAttempts = retries,
        };
    }

    private static RegistryCredential? ParseCredentials(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var colon = value.IndexOf(':', StringComparison.Ordinal);
        var user = colon < 0 ? value : value[..colon];
        var password = colon < 0 ? Environment.GetEnvironmentVariable("GUESTPULL_PASSWORD") : value[(colon + 1)..];
        if (user.Length == 0)
        {
            throw new ArgumentException("--creds: the user name is empty");
        }

        if (password is null)
        {
            throw new ArgumentException("--creds: no password given (USER:PASSWORD, or set $GUESTPULL_PASSWORD)");
        }

        return new RegistryCredential(user, password);
    }
}
