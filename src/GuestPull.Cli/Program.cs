using System.CommandLine;

namespace GuestPull.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("GuestPull: guest image pull for confidential containers");
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }
}
