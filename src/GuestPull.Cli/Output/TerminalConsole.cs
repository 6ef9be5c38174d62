using Spectre.Console;

namespace GuestPull.Cli.Output;

/// <summary>
/// The console commands render to. At a terminal it is Spectre's own; when stdout is a pipe or a
/// file it writes plain text without colour, wide enough that digests never wrap.
/// </summary>
internal static class TerminalConsole
{
    private const int RedirectedWidth = 240;

    public static IAnsiConsole Create()
    {
        if (!Console.IsOutputRedirected)
        {
            return AnsiConsole.Console;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(Console.Out),
        });
        console.Profile.Width = RedirectedWidth;
        return console;
    }
}
