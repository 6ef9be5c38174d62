using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace GuestPull.Oci.Registry.Auth;

/// <summary>
/// Reads the JSON a token service answers with (Docker's token authentication spec, also
/// OAuth2's <c>access_token</c> form).
/// </summary>
public static partial class BearerTokenResponse
{
    /// <summary>The lifetime assumed when <c>expires_in</c> is missing, and the shortest honoured (Docker's spec).</summary>
    public static readonly TimeSpan MinimumLifetime = TimeSpan.FromSeconds(60);

    /// <summary>The longest lifetime honoured, so a bogus <c>expires_in</c> cannot keep a token cached for ever.</summary>
    public static readonly TimeSpan MaximumLifetime = TimeSpan.FromHours(24);

    /// <summary>
    /// Parses a token response. The token is <c>token</c>, else <c>access_token</c>. It expires
    /// <c>expires_in</c> seconds (default and minimum 60, at most a day) after <c>issued_at</c>,
    /// or after <paramref name="now"/> when <c>issued_at</c> is missing or in the future (a
    /// server clock running ahead must not make a token look valid longer than it is).
    /// </summary>
    /// <param name="json">The response body.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The token and its expiry.</returns>
    /// <exception cref="FormatException">The body is not a usable token response; the message never contains the token.</exception>
    public static BearerToken Parse(ReadOnlySpan<byte> json, DateTimeOffset now)
    {
        string? token = null;
        string? accessToken = null;
        long? expiresIn = null;
        DateTimeOffset? issuedAt = null;

        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new FormatException("Token response is not a JSON object.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "token":
                        token = ReadString(ref reader, name);
                        break;
                    case "access_token":
                        accessToken = ReadString(ref reader, name);
                        break;
                    case "expires_in":
                        expiresIn = ReadSeconds(ref reader);
                        break;
                    case "issued_at":
                        issuedAt = ReadTimestamp(ref reader);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            // Rejects trailing content after the object.
            if (reader.Read())
            {
                throw new FormatException("Token response has content after its JSON object.");
            }
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Token response is not valid JSON: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            // Utf8JsonReader.GetString: a string that is not UTF-8, or escapes an unpaired surrogate (found by fuzzing).
            throw new FormatException($"Token response has a string with no text form: {ex.Message}", ex);
        }

        var value = !string.IsNullOrEmpty(token) ? token
            : !string.IsNullOrEmpty(accessToken) ? accessToken
            : throw new FormatException("Token response has neither 'token' nor 'access_token'.");

        if (value.Any(c => c < '!' || c > '~'))
        {
            throw new FormatException("Token response's token contains characters that cannot be sent in an HTTP header.");
        }

        var lifetime = expiresIn is { } seconds
            ? TimeSpan.FromSeconds(Math.Clamp(seconds, (long)MinimumLifetime.TotalSeconds, (long)MaximumLifetime.TotalSeconds))
            : MinimumLifetime;
        var issued = issuedAt is { } at && at < now ? at : now;
        return new BearerToken(value, issued + lifetime);
    }

    private static string? ReadString(ref Utf8JsonReader reader, string name) =>
        reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            _ => throw new FormatException($"Token response's '{name}' must be a string, found {reader.TokenType}."),
        };

    private static long? ReadSeconds(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.Number)
        {
            throw new FormatException($"Token response's 'expires_in' must be a number, found {reader.TokenType}.");
        }

        if (reader.TryGetInt64(out var whole))
        {
            return whole;
        }

        // A fraction, or beyond long's range: the lifetime is clamped anyway.
        if (!reader.TryGetDouble(out var real))
        {
            throw new FormatException("Token response's 'expires_in' is out of range.");
        }

        return real >= long.MaxValue ? long.MaxValue : real <= long.MinValue ? long.MinValue : (long)real;
    }

    private static DateTimeOffset? ReadTimestamp(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        var text = reader.TokenType == JsonTokenType.String
            ? reader.GetString()!
            : throw new FormatException($"Token response's 'issued_at' must be a string, found {reader.TokenType}.");
        return ParseRfc3339(text)
            ?? throw new FormatException($"Token response's 'issued_at' is not an RFC 3339 timestamp: '{Shorten(text)}'.");
    }

    internal static DateTimeOffset? ParseRfc3339(string text)
    {
        var match = Rfc3339().Match(text);
        if (!match.Success)
        {
            return null;
        }

        // Go writes nanoseconds; DateTimeOffset keeps 100 ns ticks, so extra digits are dropped.
        var fraction = match.Groups["fraction"].Value;
        var normalized = $"{match.Groups["date"].Value}T{match.Groups["time"].Value}.{(fraction.Length > 7 ? fraction[..7] : fraction.PadRight(1, '0'))}{match.Groups["zone"].Value.ToUpperInvariant()}";
        return DateTimeOffset.TryParseExact(
            normalized,
            "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal,
            out var result)
            ? result
            : null;
    }

    private static string Shorten(string text) => text.Length > 64 ? text[..64] + "..." : text;

    [GeneratedRegex(@"^(?<date>\d{4}-\d{2}-\d{2})[Tt](?<time>\d{2}:\d{2}:\d{2})(?:\.(?<fraction>\d{1,30}))?(?<zone>[Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();
}
