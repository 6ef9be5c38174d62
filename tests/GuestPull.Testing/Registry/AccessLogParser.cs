using System.Globalization;
using System.Text.RegularExpressions;

namespace GuestPull.Testing;

/// Parses docker-registry's access log, which gorilla/handlers writes in Apache combined format:
/// 127.0.0.1 - - [27/Nov/2026:20:47:25 +0000] "GET /v2/ HTTP/1.1" 200 2 "" "curl/7.88.1"
internal static partial class AccessLogParser
{
    public static RegistryRequest? TryParse(string line)
    {
        var match = CombinedLogLine().Match(line);
        if (!match.Success)
        {
            return null;
        }

        var size = long.TryParse(match.Groups["size"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes : (long?)null;
        return new RegistryRequest(
            match.Groups["method"].Value,
            match.Groups["target"].Value,
            int.Parse(match.Groups["status"].Value, CultureInfo.InvariantCulture),
            size,
            match.Groups["agent"].Value);
    }

    [GeneratedRegex("""^\S+ \S+ \S+ \[[^\]]*\] "(?<method>[A-Z]+) (?<target>\S+) [^"]*" (?<status>\d{3}) (?<size>\S+)(?: "[^"]*" "(?<agent>[^"]*)")?""")]
    private static partial Regex CombinedLogLine();
}
