namespace GuestPull.Fuzz;

/// <summary>
/// Where targets report an input their parser refused as documented. Silent under afl-fuzz; with
/// <c>--replay</c> the reason is printed, so a seed that is refused (and so tests nothing beyond the
/// refusal) shows up.
/// </summary>
internal static class Rejection
{
    public static bool Print { get; set; }

    public static void Note(Exception refusal)
    {
        if (Print)
        {
            Console.WriteLine($"        refused: {refusal.GetType().Name}: {refusal.Message}");
        }
    }

    /// <summary>
    /// Runs <paramref name="parse"/>; a <typeparamref name="TRefusal"/> is the parser's documented refusal
    /// and is noted, anything else escapes for afl to record as a crash.
    /// </summary>
    public static void Expect<TRefusal>(Action parse)
        where TRefusal : Exception
    {
        try
        {
            parse();
        }
        catch (TRefusal ex)
        {
            Note(ex);
        }
    }
}
