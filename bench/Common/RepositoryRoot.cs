namespace GuestPull.Bench.Common;

/// <summary>Finds the GuestPull checkout a benchmark runs from (for its default paths).</summary>
public static class RepositoryRoot
{
    /// <summary>The nearest directory holding GuestPull.slnx above the working directory or the binary, or null.</summary>
    public static string? Find()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "GuestPull.slnx")))
                {
                    return directory.FullName;
                }
            }
        }

        return null;
    }
}
