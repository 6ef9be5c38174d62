using System.Net;
using System.Text.Json;

namespace GuestPull.Oci.Registry;

/// <summary>
/// Reads the distribution spec's error body (<c>{"errors":[{"code","message"}]}</c>) for error messages,
/// and turns a failed answer into the exception that says what failed.
/// </summary>
internal static class RegistryErrorBody
{
    private const int MaxErrorBody = 64 * 1024;

    /// <summary>The first error code and a readable summary of all errors, or the raw text when it is not JSON.</summary>
    public static async Task<(string? Code, string Summary)> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            var bytes = await BoundedRead.ReadAsync(response.Content, MaxErrorBody, cancellationToken).ConfigureAwait(false);
            text = System.Text.Encoding.UTF8.GetString(bytes.Span);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or InvalidDataException)
        {
            return (null, string.Empty);
        }

        try
        {
            using var json = JsonDocument.Parse(text);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                string? first = null;
                var parts = new List<string>();
                foreach (var error in errors.EnumerateArray())
                {
                    var code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                    var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                    first ??= code;
                    parts.Add(code is null ? message ?? "error" : $"{code}: {message}");
                }

                return (first, string.Join("; ", parts));
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not JSON, or a string escaping an unpaired surrogate (GetString's InvalidOperationException):
            // the raw text below says what the registry said.
        }

        text = text.Trim();
        return (null, text.Length > 200 ? text[..200] + "…" : text);
    }

    /// <summary>Throws <see cref="RegistryException"/> (<see cref="RegistryAuthenticationException"/> for 403) unless the answer is a success.</summary>
    public static async Task ThrowIfFailedAsync(HttpResponseMessage response, RepositorySession session, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var (code, summary) = await ReadAsync(response, cancellationToken).ConfigureAwait(false);
        var detail = summary.Length > 0 ? $" ({summary})" : string.Empty;
        var host = session.Endpoint.Host;
        var message = response.StatusCode switch
        {
            HttpStatusCode.NotFound when code == "NAME_UNKNOWN" => $"{what}: repository {session.Endpoint.Repository} not found on {host}{detail}",
            HttpStatusCode.NotFound => $"{what}: not found on {host}{detail}",
            HttpStatusCode.Forbidden => $"{what}: access to {session.Endpoint.Repository} on {host} is forbidden{detail}",
            _ => $"{what}: {host} answered {(int)response.StatusCode} {response.ReasonPhrase}{detail}",
        };
        throw response.StatusCode == HttpStatusCode.Forbidden
            ? new RegistryAuthenticationException(message, response.StatusCode, code)
            : new RegistryException(message, response.StatusCode, code);
    }
}
