using System.Globalization;

namespace GuestPull.Cli.Commands;

/// <summary>Parses sizes such as <c>512M</c>, <c>10G</c>, <c>1.5GiB</c> or plain bytes.</summary>
internal static class SizeParser
{
    public static long Parse(string text, string option)
    {
        var trimmed = text.Trim();
        var split = trimmed.Length;
        while (split > 0 && char.IsAsciiLetter(trimmed[split - 1]))
        {
            split--;
        }

        var unit = trimmed[split..].ToUpperInvariant();
        long multiplier = unit switch
        {
            "" or "B" => 1,
            "K" or "KB" or "KIB" => 1L << 10,
            "M" or "MB" or "MIB" => 1L << 20,
            "G" or "GB" or "GIB" => 1L << 30,
            "T" or "TB" or "TIB" => 1L << 40,
            _ => throw new ArgumentException($"{option}: unknown size unit \"{trimmed[split..]}\" (use K, M, G or T)"),
        };
        if (!double.TryParse(trimmed[..split], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value <= 0 || value * multiplier > long.MaxValue)
        {
            throw new ArgumentException($"{option}: \"{text}\" is not a positive size");
        }

        return (long)(value * multiplier);
    }
}
