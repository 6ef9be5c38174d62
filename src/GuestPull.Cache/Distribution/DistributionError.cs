using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace GuestPull.Cache.Distribution;

/// <summary>Writes errors in the distribution spec's format: <c>{"errors":[{"code","message","detail"}]}</c>.</summary>
internal static class DistributionError
{
    /// <summary>Answers with <paramref name="status"/> and one error (a HEAD gets the status and no body).</summary>
    public static async Task WriteAsync(HttpContext context, int status, string code, string message)
    {
        var response = context.Response;
        response.StatusCode = status;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        await using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("errors");
            json.WriteStartObject();
            json.WriteString("code", code);
            json.WriteString("message", message);
            json.WriteNull("detail");
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        response.ContentLength = buffer.Length;
        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted).ConfigureAwait(false);
    }
}
