using System.CommandLine;
using GuestPull.Images.Store;

namespace GuestPull.Cli.Commands;

/// <summary>The <c>--root</c> option of the commands that use the layer store.</summary>
internal static class StoreOptions
{
    public static Option<string> CreateRoot() => new("--root")
    {
        Description = "the layer store (the Kata agent uses /run/kata-containers/image)",
        HelpName = "DIR",
        DefaultValueFactory = _ => LayerStore.DefaultRoot,
    };
}
