namespace GuestPull.Agent.ConfidentialDataHub;

/// <summary>
/// image-rs's fallback when cdh.toml has no <c>[image]</c>: the guest kernel's command line keys
/// <c>agent.image_registry_auth</c>, <c>agent.enable_signature_verification</c> (the policy of
/// <c>agent.image_policy_file</c> applies only when it is <c>true</c>), <c>agent.https_proxy</c>,
/// <c>agent.http_proxy</c> and <c>agent.no_proxy</c>.
/// </summary>
internal static class KernelCommandLine
{
    /// <summary>The running kernel's command line.</summary>
    public const string DefaultPath = "/proc/cmdline";

    /// <summary>Reads <paramref name="path"/>; an unreadable file gives image-rs's defaults, as a guest without /proc would.</summary>
    /// <exception cref="AgentConfigurationException">A URI on the command line is malformed.</exception>
    public static async Task<CdhImageSettings> ReadAsync(string path, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new CdhImageSettings();
        }

        return Parse(text, path);
    }

    /// <summary>The image settings the command line <paramref name="text"/> gives.</summary>
    /// <exception cref="AgentConfigurationException">A URI is malformed; the message names the parameter.</exception>
    public static CdhImageSettings Parse(string text, string source)
    {
        // The last occurrence of a parameter wins, like a later key in a map built from the words.
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var word in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                parameters[word[..equals]] = word[(equals + 1)..];
            }
        }

        var unserved = new List<string>();
        var settings = new CdhImageSettings
        {
            Source = "kernel command line " + source,
            HttpsProxy = parameters.GetValueOrDefault("agent.https_proxy"),
            HttpProxy = parameters.GetValueOrDefault("agent.http_proxy"),
            NoProxy = parameters.GetValueOrDefault("agent.no_proxy"),
            CredentialsFile = Uri(parameters, "agent.image_registry_auth", unserved),
        };

        if (parameters.GetValueOrDefault("agent.enable_signature_verification") == "true")
        {
            settings = settings with { PolicyFile = Uri(parameters, "agent.image_policy_file", unserved) };
        }

        return settings with { Unserved = unserved };
    }

    private static string? Uri(Dictionary<string, string> parameters, string name, List<string> unserved)
    {
        if (!parameters.TryGetValue(name, out var uri) || uri.Length == 0)
        {
            return null;
        }

        if (ResourceUri.IsKbs(uri))
        {
            unserved.Add($"{name}={uri} (kbs:// resources need a key broker client, which GuestPull's confidential-data-hub does not have)");
            return null;
        }

        return ResourceUri.TryFilePath(uri, out var problem) ?? throw new AgentConfigurationException($"kernel command line {name}: {problem}");
    }
}
