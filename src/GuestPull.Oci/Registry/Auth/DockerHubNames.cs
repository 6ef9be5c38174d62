namespace GuestPull.Oci.Registry.Auth;

/// <summary>The several names Docker Hub goes by, and the one host that serves its API.</summary>
internal static class DockerHubNames
{
    public const string Registry = "docker.io";
    public const string ApiHost = "registry-1.docker.io";
    public const string LegacyIndexHost = "index.docker.io";

    /// <summary>Folds Docker Hub's aliases into <c>docker.io</c> and lower-cases the host (DNS names ignore case).</summary>
    public static string NormalizeHost(string host)
    {
        var lower = host.ToLowerInvariant();
        return lower is ApiHost or LegacyIndexHost ? Registry : lower;
    }
}
