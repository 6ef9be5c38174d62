using GuestPull.Testing;

namespace GuestPull.IntegrationTests.Infrastructure;

/// <summary>Runs the real <c>guestpull</c> CLI (built next to the tests) as a separate process.</summary>
internal static class GuestPullCli
{
    private static string DllPath => Path.Combine(AppContext.BaseDirectory, "guestpull.dll");

    public static Task<ProcessResult> RunAsync(params string[] arguments) => RunAsync(arguments, null);

    public static async Task<ProcessResult> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var env = new Dictionary<string, string?>
        {
            // Keep the tests independent of the machine's auth files and registries.conf.
            ["REGISTRY_AUTH_FILE"] = "/nonexistent/guestpull-tests-auth.json",
            ["XDG_RUNTIME_DIR"] = "/nonexistent",
            ["DOCKER_CONFIG"] = "/nonexistent",
            ["CONTAINERS_REGISTRIES_CONF"] = "/nonexistent/registries.conf",
        };
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                env[k] = v;
            }
        }

        return await ProcessRunner.RunAsync(
            "dotnet",
            [DllPath, .. arguments],
            new ProcessRunOptions { ThrowOnFailure = false, Environment = env, Timeout = TimeSpan.FromMinutes(3) },
            timeout.Token).ConfigureAwait(false);
    }
}
