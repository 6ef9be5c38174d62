using GuestPull.Images.Store;
using GuestPull.Unpack;

namespace GuestPull.Images.Tests.Fixtures;

/// Unpacks a layer tar the way the image puller stores it: overlay form into a private directory,
/// with the implicit-directory record (the root included) on the layer's root.
internal static class UnpackedLayer
{
    public static async Task<string> CreateAsync(string directory, byte[] tar)
    {
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var stream = new MemoryStream(tar, writable: false);
        var result = await LayerApplier.ApplyAsync(stream, directory, new LayerApplyOptions { WhiteoutMode = WhiteoutMode.Overlay });
        Assert.True(ImplicitDirectoryMarker.Write(directory, result));
        return directory;
    }
}
