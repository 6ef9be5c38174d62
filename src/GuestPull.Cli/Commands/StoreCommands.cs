using System.CommandLine;
using System.Globalization;
using GuestPull.Cli.Output;
using GuestPull.Images.Bundles;
using GuestPull.Images.Store;
using GuestPull.Oci.Model;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace GuestPull.Cli.Commands;

/// <summary><c>guestpull images</c>, <c>rmi</c>, <c>prune</c>, <c>umount</c> and <c>rm-bundle</c>: the store and bundle housekeeping.</summary>
internal static class StoreCommands
{
    public static IEnumerable<Command> Build(GlobalOptions global)
    {
        Command[] commands =
        [
            Images(global),
            RemoveImage(global),
            Prune(global),
            BundleCommand(global, "umount", "Unmount a bundle's rootfs (the bundle stays)", (writer, dir, ct) => writer.UnmountAsync(dir, ct), "unmounted"),
            BundleCommand(global, "rm-bundle", "Unmount and delete a bundle written by pull --bundle (refuses any other directory)", (writer, dir, ct) => writer.RemoveAsync(dir, ct), "removed"),
        ];
        foreach (var command in commands)
        {
            global.AddTo(command);
        }

        return commands;
    }

    private static Command Images(GlobalOptions global)
    {
        var root = StoreOptions.CreateRoot();
        var command = new Command("images", "List the images in the layer store") { root };
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, global, async (logging, token) =>
        {
            await using var store = await LayerStore.OpenAsync(result.GetValue(root)!, logging.CreateLogger<LayerStore>(), token).ConfigureAwait(false);
            var images = await store.ListImagesAsync(token).ConfigureAwait(false);
            var table = new Table().Border(TableBorder.Simple).AddColumns("REFERENCE", "DIGEST", "PLATFORM", "LAYERS", "LAST USED");
            foreach (var image in images.OrderBy(i => i.Reference, StringComparer.Ordinal))
            {
                table.AddRow(
                    new Text(image.Reference),
                    new Text(image.ManifestDigest.ToString()),
                    new Text(image.Platform),
                    new Text(image.DiffIds.Count.ToString(CultureInfo.InvariantCulture)),
                    new Text(image.LastUsed.ToString("u", CultureInfo.InvariantCulture)));
            }

            TerminalConsole.Create().Write(table);
            return 0;
        }, ct));
        return command;
    }

    private static Command RemoveImage(GlobalOptions global)
    {
        var root = StoreOptions.CreateRoot();
        var reference = new Argument<string>("REF") { Description = "image reference as listed by guestpull images" };
        var command = new Command("rmi", "Remove an image from the store (its layers stay until prune)") { root, reference };
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, global, async (logging, token) =>
        {
            var name = ImageReference.Parse(result.GetValue(reference)!).ToString();
            await using var store = await LayerStore.OpenAsync(result.GetValue(root)!, logging.CreateLogger<LayerStore>(), token).ConfigureAwait(false);
            if (!await store.RemoveImageAsync(name, token).ConfigureAwait(false))
            {
                await Console.Error.WriteLineAsync($"guestpull: error: no image {name} in the store").ConfigureAwait(false);
                return CommandRunner.ExitFailure;
            }

            Console.WriteLine($"removed {name}");
            return 0;
        }, ct));
        return command;
    }

    private static Command Prune(GlobalOptions global)
    {
        var root = StoreOptions.CreateRoot();
        var command = new Command("prune", "Delete layers no image in the store uses") { root };
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, global, async (logging, token) =>
        {
            await using var store = await LayerStore.OpenAsync(result.GetValue(root)!, logging.CreateLogger<LayerStore>(), token).ConfigureAwait(false);
            var pruned = await store.PruneAsync(token).ConfigureAwait(false);
            Console.WriteLine($"removed {pruned.RemovedLayers.Count} layers, {pruned.UnpackedBytes} bytes");
            return 0;
        }, ct));
        return command;
    }

    private static Command BundleCommand(GlobalOptions global, string name, string description, Func<BundleWriter, string, CancellationToken, Task> action, string done)
    {
        var directory = new Argument<string>("DIR") { Description = "the bundle directory" };
        var command = new Command(name, description) { directory };
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, global, async (logging, token) =>
        {
            var path = Path.GetFullPath(result.GetValue(directory)!);
            await action(new BundleWriter(logging.CreateLogger<BundleWriter>()), path, token).ConfigureAwait(false);
            Console.WriteLine($"{done} {path}");
            return 0;
        }, ct));
        return command;
    }
}
