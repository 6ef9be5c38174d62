namespace GuestPull.Install.Services;

/// <summary>How to run the <c>guestpull</c> in a directory: its native launcher, or <c>dotnet guestpull.dll</c> when there is none.</summary>
internal sealed record GuestPullLauncher(string FileName, IReadOnlyList<string> PrefixArguments)
{
    public static GuestPullLauncher InDirectory(string directory)
    {
        var native = Path.Combine(directory, "guestpull");
        if (File.Exists(native))
        {
            return new GuestPullLauncher(native, []);
        }
        var assembly = Path.Combine(directory, "guestpull.dll");
        if (File.Exists(assembly))
        {
            return new GuestPullLauncher(DotnetHost(), [assembly]);
        }
        throw new InstallException($"no guestpull binary in {directory} (neither 'guestpull' nor 'guestpull.dll'); build or publish the CLI first");
    }

    public IReadOnlyList<string> CommandLine(params string[] arguments) => [FileName, .. PrefixArguments, .. arguments];

    private static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileName(current) == "dotnet")
        {
            return current;
        }
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (root is not null && File.Exists(Path.Combine(root, "dotnet")))
        {
            return Path.Combine(root, "dotnet");
        }
        return "dotnet";
    }
}
