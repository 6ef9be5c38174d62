namespace GuestPull.Bench.Pull.Contenders;

/// What every contender needs: where the image is served and where to put its files.
internal sealed record BenchContext(
    string RegistryHost,
    string Repository,
    string Tag,
    string WorkDirectory,
    string LogDirectory,
    string GuestPullPath,
    bool Flatten,
    TimeSpan RunTimeout)
{
    /// HOST:PORT/REPOSITORY:TAG.
    public string Reference => $"{RegistryHost}/{Repository}:{Tag}";

    /// Keeps guestpull and skopeo away from the machine's credentials.
    public static IReadOnlyDictionary<string, string?> IsolatedEnvironment { get; } = new Dictionary<string, string?>
    {
        ["REGISTRY_AUTH_FILE"] = "/nonexistent/guestpull-bench-auth.json",
        ["DOCKER_CONFIG"] = "/nonexistent",
        ["XDG_RUNTIME_DIR"] = "/nonexistent",
    };

    /// A fresh, empty directory under the work directory.
    public string FreshDirectory(string name)
    {
        var path = Path.Combine(WorkDirectory, name);
        Cleanup.DeleteDirectory(path);
        return Directory.CreateDirectory(path).FullName;
    }
}
