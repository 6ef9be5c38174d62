using System.Reflection;

namespace GuestPull.Shim.Sandbox;

/// <summary>
/// How to run the guestpull CLI again (for the agent, and for the shim daemon): the running executable,
/// or, when that is the <c>dotnet</c> host (tests run guestpull.dll), the host plus the entry assembly.
/// </summary>
internal sealed record GuestPullExecutable(string FileName, IReadOnlyList<string> PrefixArguments)
{
    public static GuestPullExecutable Resolve(string? configured)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return new GuestPullExecutable(configured, []);
        }

        var process = Environment.ProcessPath ?? throw new ShimException("cannot tell which executable runs the shim (Environment.ProcessPath is null)");
        var name = Path.GetFileNameWithoutExtension(process);
        if (name == "dotnet")
        {
            var entry = Assembly.GetEntryAssembly()?.Location;
            if (string.IsNullOrEmpty(entry))
            {
                throw new ShimException("the shim runs under the dotnet host but its entry assembly has no path; set guestpull_path in the shim config");
            }

            return new GuestPullExecutable(process, [entry]);
        }

        return new GuestPullExecutable(process, []);
    }

    public IReadOnlyList<string> Command(params IEnumerable<string> arguments) => [FileName, .. PrefixArguments, .. arguments];
}
