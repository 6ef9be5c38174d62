using System.Text;

namespace GuestPull.Bench.Common;

/// <summary>Plain-text tables for benchmark reports: first column left-aligned, the rest right-aligned.</summary>
public static class TextTable
{
    /// <summary>Appends <paramref name="rows"/>; the first row is the header and gets a rule under it.</summary>
    public static void Append(StringBuilder text, List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(column => rows.Max(row => row[column].Length)).ToArray();
        for (var i = 0; i < rows.Count; i++)
        {
            var cells = rows[i].Select((cell, column) => column == 0 ? cell.PadRight(widths[column]) : cell.PadLeft(widths[column]));
            text.AppendLine(string.Join("  ", cells).TrimEnd());
            if (i == 0)
            {
                text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
            }
        }
    }
}
