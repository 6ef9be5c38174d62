using GuestPull.Oci.Registry;
using Spectre.Console;

namespace GuestPull.Cli.Output;

/// <summary>Renders <c>inspect</c>'s readable summary.</summary>
internal static class InspectTextRenderer
{
    public static void Render(ResolvedImage image)
    {
        var console = TerminalConsole.Create();
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        void Row(string name, string? value) => grid.AddRow(new Markup($"[bold]{name}[/]"), new Text(value ?? "-"));

        Row("Reference", image.Reference.ToString());
        Row("Digest", image.ManifestDocument.Digest.ToString());
        Row("Media type", image.ManifestDocument.MediaType);
        if (image.Index is { } index)
        {
            Row("Index", $"{index.Digest} ({index.Index!.Manifests.Count} entries; picked {image.Config.Platform})");
        }

        Row("Platform", image.Config.Platform.ToString());
        Row("Served by", image.ServedBy);
        Row("Created", image.Config.Created);
        Row("Config", $"{image.Manifest.Config.Digest} ({image.Manifest.Config.Size} bytes)");
        Row("Entrypoint", Join(image.Config.Entrypoint));
        Row("Cmd", Join(image.Config.Cmd));
        Row("User", image.Config.User);
        Row("Working dir", image.Config.WorkingDir);
        Row("Env", image.Config.Env.Count == 0 ? null : string.Join("\n", image.Config.Env));
        if (image.Config.Labels.Count > 0)
        {
            Row("Labels", string.Join("\n", image.Config.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")));
        }

        console.Write(grid);

        // Digests stay on one line each so they can be copied; a table would wrap them.
        console.WriteLine();
        var n = 0;
        foreach (var (layer, diffId) in image.LayersWithDiffIds)
        {
            console.Write(new Markup($"[bold]Layer {n++}[/]  {FormatSize(layer.Size).EscapeMarkup()}  {layer.MediaType.EscapeMarkup()}\n"));
            console.WriteLine($"  digest  {layer.Digest}");
            console.WriteLine($"  diffID  {diffId}");
            if (EncryptedLayerDescription.Recipients(layer) is { } recipients)
            {
                console.WriteLine($"  encrypted for  {string.Join("; ", recipients)}");
            }
        }

        var total = image.Manifest.Layers.Sum(l => l.Size);
        console.WriteLine($"{image.Manifest.Layers.Count} layers, {FormatSize(total)} compressed");
    }

    private static string? Join(IReadOnlyList<string>? values) => values is null ? null : "[" + string.Join(", ", values.Select(v => "\"" + v + "\"")) + "]";

    private static string FormatSize(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.0} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.00} GiB",
    };
}
