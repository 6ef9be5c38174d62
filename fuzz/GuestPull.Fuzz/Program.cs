using GuestPull.Fuzz;
using SharpFuzz;

// Usage:
//   GuestPull.Fuzz list                      the targets
//   GuestPull.Fuzz TARGET                    under afl-fuzz (fuzz/run.sh starts it this way)
//   GuestPull.Fuzz TARGET --replay FILE...   runs inputs once each, without afl, printing what escapes
if (args.Length == 0 || args[0] is "list" or "-h" or "--help")
{
    foreach (var t in FuzzTargets.All)
    {
        Console.WriteLine($"{t.Name,-16} {t.Description}");
    }

    return args.Length == 0 ? 2 : 0;
}

var target = FuzzTargets.Find(args[0]);
if (target is null)
{
    Console.Error.WriteLine($"unknown target {args[0]}; `list` shows them");
    return 2;
}

if (args.Length > 1 && args[1] == "--replay")
{
    return Replay.Run(target, args[2..]);
}

// Out of process, so a stack overflow in the parser is still reported as a crash of this input
// instead of killing the fuzzer's fork server.
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target.Run(buffer.ToArray());
});
return 0;
