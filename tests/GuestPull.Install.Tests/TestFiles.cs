using GuestPull.Testing;

namespace GuestPull.Install.Tests;

/// <summary>Test inputs: the checked-in configs, the repository's deploy folder, the installed containerd's default config.</summary>
internal static class TestFiles
{
    public static string ReadTestData(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", name));

    /// <summary>The checkout the tests were built from (the build may put its output anywhere, e.g. --artifacts-path).</summary>
    public static string RepositoryRoot { get; } = Path.GetFullPath(
        typeof(TestFiles).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .Single(a => a.Key == "RepositoryRoot").Value!);

    /// <summary><c>containerd config default</c> of the containerd on this machine (1.6.20 in CI).</summary>
    public static async Task<string> ContainerdDefaultConfigAsync()
    {
        var result = await ProcessRunner.RunAsync("containerd", ["config", "default"], new ProcessRunOptions { Timeout = TimeSpan.FromMinutes(1) });
        return result.StandardOutput;
    }
}
