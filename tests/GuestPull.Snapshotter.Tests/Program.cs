namespace GuestPull.Snapshotter.Tests;

/// <summary>
/// `dotnet exec GuestPull.Snapshotter.Tests.dll serve ROOT ADDRESS DRIVER` runs the snapshotter as a
/// process of its own, so tests can SIGKILL or SIGTERM it. The test runner never calls this.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 4 || args[0] != "serve")
        {
            await Console.Error.WriteLineAsync("usage: serve ROOT ADDRESS proxy|overlayfs");
            return 2;
        }
        return await SnapshotterHost.RunAsync(
            new SnapshotterOptions { Root = args[1], Address = args[2], FsDriver = args[3], LogLevel = "info" },
            CancellationToken.None);
    }
}
