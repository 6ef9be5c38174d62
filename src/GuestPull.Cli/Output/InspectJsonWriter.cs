using System.Text.Encodings.Web;
using System.Text.Json;
using GuestPull.Oci.Registry;

namespace GuestPull.Cli.Output;

/// <summary>Writes <c>inspect --format json</c>: one JSON object describing the resolved image.</summary>
internal static class InspectJsonWriter
{
    public static async Task WriteAsync(Stream output, ResolvedImage image, CancellationToken cancellationToken)
    {
        await using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("reference", image.Reference.ToString());
        json.WriteString("name", image.Reference.Name);
        json.WriteString("digest", image.ManifestDocument.Digest.ToString());
        json.WriteString("mediaType", image.ManifestDocument.MediaType);
        if (image.Index is { } index)
        {
            json.WriteString("indexDigest", index.Digest.ToString());
            json.WriteString("indexMediaType", index.MediaType);
        }

        json.WriteString("servedBy", image.ServedBy);
        json.WriteStartObject("platform");
        json.WriteString("os", image.Config.Platform.Os);
        json.WriteString("architecture", image.Config.Platform.Architecture);
        if (image.Config.Platform.Variant is { } variant)
        {
            json.WriteString("variant", variant);
        }

        json.WriteEndObject();
        json.WriteStartObject("config");
        json.WriteString("digest", image.Manifest.Config.Digest.ToString());
        json.WriteNumber("size", image.Manifest.Config.Size);
        json.WriteString("mediaType", image.Manifest.Config.MediaType);
        json.WriteEndObject();
        json.WriteStartArray("layers");
        foreach (var (layer, diffId) in image.LayersWithDiffIds)
        {
            json.WriteStartObject();
            json.WriteString("digest", layer.Digest.ToString());
            json.WriteNumber("size", layer.Size);
            json.WriteString("mediaType", layer.MediaType);
            if (EncryptedLayerDescription.Recipients(layer) is { } recipients)
            {
                json.WriteBoolean("encrypted", true);
                WriteList(json, "recipients", recipients);
            }
            json.WriteString("diffID", diffId.ToString());
            json.WriteEndObject();
        }

        json.WriteEndArray();
        WriteList(json, "entrypoint", image.Config.Entrypoint);
        WriteList(json, "cmd", image.Config.Cmd);
        WriteList(json, "env", image.Config.Env);
        json.WriteString("user", image.Config.User ?? string.Empty);
        json.WriteString("workingDir", image.Config.WorkingDir ?? string.Empty);
        json.WriteStartObject("labels");
        foreach (var (key, value) in image.Config.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            json.WriteString(key, value);
        }

        json.WriteEndObject();
        if (image.Config.Created is { } created)
        {
            json.WriteString("created", created);
        }

        json.WriteEndObject();
        await json.FlushAsync(cancellationToken).ConfigureAwait(false);
        await output.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
    }

    private static void WriteList(Utf8JsonWriter json, string name, IReadOnlyList<string>? values)
    {
        if (values is null)
        {
            json.WriteNull(name);
            return;
        }

        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }
}
