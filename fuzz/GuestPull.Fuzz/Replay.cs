namespace GuestPull.Fuzz;

/// <summary>Runs saved inputs (a crash from findings/, a corpus file) through a target outside afl-fuzz.</summary>
internal static class Replay
{
    public static int Run(FuzzTarget target, IReadOnlyList<string> files)
    {
        Rejection.Print = true;
        var failed = 0;
        foreach (var file in files)
        {
            try
            {
                Console.WriteLine($"input   {file}");
                target.Run(File.ReadAllBytes(file));
            }
            catch (Exception ex)
            {
                failed++;
                Console.WriteLine($"CRASH   {file}");
                Console.WriteLine(ex);
            }
        }

        return failed == 0 ? 0 : 1;
    }
}
