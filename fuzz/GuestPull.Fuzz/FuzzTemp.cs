namespace GuestPull.Fuzz;

/// <summary>
/// Where targets that need a directory make one: under <c>$GUESTPULL_FUZZ_TMP</c> (run.sh points it at
/// a directory of its own and removes it at the end), else the system's temp directory.
/// </summary>
internal static class FuzzTemp
{
    public static string CreateDirectory(string prefix)
    {
        var parent = Environment.GetEnvironmentVariable("GUESTPULL_FUZZ_TMP");
        if (string.IsNullOrEmpty(parent))
        {
            return Directory.CreateTempSubdirectory("guestpull-fuzz-" + prefix).FullName;
        }

        return Directory.CreateDirectory(Path.Combine(parent, prefix + Guid.NewGuid().ToString("N"))).FullName;
    }
}
