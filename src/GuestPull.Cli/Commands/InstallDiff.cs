using System.Text;

namespace GuestPull.Cli.Commands;

/// <summary>A unified diff of two texts (line LCS, 3 lines of context), for <c>install --config-only</c>.</summary>
internal static class InstallDiff
{
    private const int Context = 3;

    public static string Unified(string before, string after, string name)
    {
        if (before == after)
        {
            return string.Empty;
        }
        var a = before.Split('\n');
        var b = after.Split('\n');
        var edits = Edits(a, b);
        var output = new StringBuilder();
        output.Append("--- ").Append(name).Append('\n').Append("+++ ").Append(name).Append(" (guestpull)\n");
        var i = 0;
        while (i < edits.Count)
        {
            if (edits[i].Kind == ' ')
            {
                i++;
                continue;
            }
            var start = Math.Max(0, i - Context);
            var end = i;
            // Extend the hunk while changes are closer than twice the context.
            while (end < edits.Count)
            {
                var next = end;
                while (next < edits.Count && edits[next].Kind == ' ')
                {
                    next++;
                }
                if (next >= edits.Count || next - end > 2 * Context)
                {
                    break;
                }
                end = next;
                while (end < edits.Count && edits[end].Kind != ' ')
                {
                    end++;
                }
            }
            var stop = Math.Min(edits.Count, end + Context);
            var hunk = edits.Skip(start).Take(stop - start).ToList();
            var oldStart = edits.Take(start).Count(e => e.Kind != '+') + 1;
            var newStart = edits.Take(start).Count(e => e.Kind != '-') + 1;
            output.Append(System.Globalization.CultureInfo.InvariantCulture,
                $"@@ -{oldStart},{hunk.Count(e => e.Kind != '+')} +{newStart},{hunk.Count(e => e.Kind != '-')} @@\n");
            foreach (var (kind, line) in hunk)
            {
                output.Append(kind).Append(line).Append('\n');
            }
            i = stop;
        }
        return output.ToString();
    }

    private static List<(char Kind, string Line)> Edits(string[] a, string[] b)
    {
        var lengths = new int[a.Length + 1, b.Length + 1];
        for (var x = a.Length - 1; x >= 0; x--)
        {
            for (var y = b.Length - 1; y >= 0; y--)
            {
                lengths[x, y] = a[x] == b[y] ? lengths[x + 1, y + 1] + 1 : Math.Max(lengths[x + 1, y], lengths[x, y + 1]);
            }
        }
        var edits = new List<(char, string)>();
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            if (i < a.Length && j < b.Length && a[i] == b[j])
            {
                edits.Add((' ', a[i++]));
                j++;
            }
            else if (i < a.Length && (j == b.Length || lengths[i + 1, j] >= lengths[i, j + 1]))
            {
                edits.Add(('-', a[i++]));
            }
            else
            {
                edits.Add(('+', b[j++]));
            }
        }
        return edits;
    }
}
