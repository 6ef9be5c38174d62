namespace GuestPull.Testing;

/// skopeo as the reference client: what GuestPull fetches is compared with what skopeo sees.
/// Every call passes --insecure-policy (no dependency on /etc/containers/policy.json) and explicit
/// TLS and credential options, so the machine's auth files never matter.
public static class Skopeo
{
    public static Task<byte[]> InspectRawAsync(RegistryInstance registry, string reference, SkopeoOptions? options = null, CancellationToken cancellationToken = default) =>
        InspectRawAsync(registry.Endpoint, reference, options, cancellationToken);

    /// The manifest (or index) bytes exactly as the registry serves them; <paramref name="reference"/> is
    /// "repository:tag" or "repository@digest".
    public static async Task<byte[]> InspectRawAsync(RegistryEndpoint endpoint, string reference, SkopeoOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new SkopeoOptions();
        var result = await RunAsync(
            [.. GlobalArguments(options), "inspect", "--raw", .. RegistryArguments(endpoint, options.Credentials, options.Anonymous, options.TrustRegistryCa, string.Empty), DockerReference(endpoint, reference)],
            options.Timeout,
            cancellationToken).ConfigureAwait(false);
        return result.StandardOutputBytes;
    }

    public static Task<byte[]> InspectConfigAsync(RegistryInstance registry, string reference, SkopeoOptions? options = null, CancellationToken cancellationToken = default) =>
        InspectConfigAsync(registry.Endpoint, reference, options, cancellationToken);

    /// The image config blob's bytes (for an index: the config of the platform <paramref name="options"/> selects).
    public static async Task<byte[]> InspectConfigAsync(RegistryEndpoint endpoint, string reference, SkopeoOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new SkopeoOptions();
        var result = await RunAsync(
            [.. GlobalArguments(options), "inspect", "--config", "--raw", .. RegistryArguments(endpoint, options.Credentials, options.Anonymous, options.TrustRegistryCa, string.Empty), DockerReference(endpoint, reference)],
            options.Timeout,
            cancellationToken).ConfigureAwait(false);
        return result.StandardOutputBytes;
    }

    public static Task CopyFromRegistryAsync(RegistryInstance registry, string reference, string destination, SkopeoOptions? options = null, CancellationToken cancellationToken = default) =>
        CopyFromRegistryAsync(registry.Endpoint, reference, destination, options, cancellationToken);

    /// skopeo copy docker://HOST/reference DESTINATION, where destination is a skopeo image name such as
    /// "dir:/path" or "oci:/layout:tag". Throws <see cref="ProcessFailedException"/> if skopeo fails
    /// (e.g. a blob's digest does not match).
    public static Task CopyFromRegistryAsync(RegistryEndpoint endpoint, string reference, string destination, SkopeoOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new SkopeoOptions();
        return RunAsync(
            [.. GlobalArguments(options), "copy", .. RegistryArguments(endpoint, options.Credentials, options.Anonymous, options.TrustRegistryCa, "src-"), DockerReference(endpoint, reference), destination],
            options.Timeout,
            cancellationToken);
    }

    /// Runs skopeo with the given arguments (after --insecure-policy).
    public static Task<ProcessResult> RunAsync(IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync("skopeo", ["--insecure-policy", .. arguments], new ProcessRunOptions { Timeout = timeout }, cancellationToken);

    internal static string DockerReference(RegistryEndpoint endpoint, string reference)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        if (reference.Contains("://", StringComparison.Ordinal) || reference.StartsWith('/'))
        {
            throw new ArgumentException($"'{reference}' must be 'repository:tag' or 'repository@digest', without host or transport.", nameof(reference));
        }

        return $"docker://{endpoint.Host}/{reference}";
    }

    /// --{prefix}tls-verify, --{prefix}cert-dir and --{prefix}creds / --{prefix}no-creds for one side of a command.
    internal static IEnumerable<string> RegistryArguments(RegistryEndpoint endpoint, RegistryCredentials? credentials, bool anonymous, bool trustCa, string prefix)
    {
        if (endpoint.Tls)
        {
            yield return $"--{prefix}tls-verify=true";
            if (trustCa && endpoint.TrustDirectory is not null)
            {
                yield return $"--{prefix}cert-dir={endpoint.TrustDirectory}";
            }
        }
        else
        {
            // For a plain-HTTP registry this makes skopeo fall back to http after the https attempt fails.
            yield return $"--{prefix}tls-verify=false";
        }

        var effective = credentials ?? (anonymous ? null : endpoint.DefaultCredentials);
        yield return effective is null ? $"--{prefix}no-creds" : $"--{prefix}creds={effective.ToSkopeoArgument()}";
    }

    private static IEnumerable<string> GlobalArguments(SkopeoOptions options)
    {
        if (options.Architecture is not null)
        {
            yield return $"--override-arch={options.Architecture}";
        }

        if (options.Os is not null)
        {
            yield return $"--override-os={options.Os}";
        }

        if (options.Variant is not null)
        {
            yield return $"--override-variant={options.Variant}";
        }
    }
}
