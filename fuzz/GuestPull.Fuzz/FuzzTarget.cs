namespace GuestPull.Fuzz;

/// <summary>
/// One fuzzing target: a name for the command line and fuzz/corpus/&lt;name&gt;, and the code that feeds an
/// input to the project's parser. The code catches only the exceptions the parser documents as its
/// way of rejecting bad input; anything else escapes and afl-fuzz records the input as a crash.
/// </summary>
internal sealed record FuzzTarget(string Name, string Description, Action<byte[]> Run);
