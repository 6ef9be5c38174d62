namespace GuestPull.Testing;

/// Pushes an image with skopeo copy --sign-by: skopeo asks gpg (through gpgme) for a simple
/// signature and writes it to the lookaside store a registries.d file names.
public static class SkopeoSigning
{
    /// Writes DIR/default.yaml with default-docker.lookaside = file://<paramref name="lookaside"/>; returns DIR.
    public static string WriteRegistriesD(string directory, string lookaside)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "default.yaml"), $"default-docker:\n  lookaside: file://{lookaside}\n");
        return directory;
    }

    /// skopeo --registries.d DIR copy --sign-by FPR oci:LAYOUT:TAG docker://HOST/REPO:TAG; returns the pushed manifest's digest.
    public static async Task<string> PushSignedAsync(string layoutDir, string tag, RegistryInstance registry, string repoAndTag, GpgKey key, string registriesD, CancellationToken cancellationToken = default)
    {
        using var work = TempDirectory.Create("skopeo-sign");
        var digestFile = work.Combine("digest");
        var arguments = new List<string> { "--insecure-policy", "--registries.d", registriesD, "copy", "--retry-times=2", $"--digestfile={digestFile}", "--sign-by", key.Fingerprint };
        arguments.AddRange(Skopeo.RegistryArguments(registry.Endpoint, null, anonymous: false, trustCa: true, "dest-"));
        arguments.Add($"oci:{layoutDir}:{tag}");
        arguments.Add(Skopeo.DockerReference(registry.Endpoint, repoAndTag));
        await ProcessRunner.RunAsync("skopeo", arguments, new ProcessRunOptions { Environment = key.Environment, Timeout = TimeSpan.FromMinutes(3) }, cancellationToken).ConfigureAwait(false);
        return (await File.ReadAllTextAsync(digestFile, cancellationToken).ConfigureAwait(false)).Trim();
    }
}
