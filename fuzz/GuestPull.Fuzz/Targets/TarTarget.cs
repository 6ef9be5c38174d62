using GuestPull.Unpack;

namespace GuestPull.Fuzz.Targets;

/// <summary>
/// The layer tar reader through its real entry point: <see cref="LayerApplier"/> applies the input,
/// confined, to a fresh directory that is removed afterwards. Rejections are
/// <see cref="InvalidLayerException"/> (malformed, hostile, over a cap) and <see cref="IOException"/>
/// (a file system operation failed), as the applier documents.
/// </summary>
internal static class TarTarget
{
    // Caps far below the defaults: an input claiming a 60 GiB entry must fail fast, not fill the disk.
    private const long MaxLayerSize = 8 * 1024 * 1024;

    private static readonly string Base = FuzzTemp.CreateDirectory("tar-");
    private static long s_next;

    public static void Run(byte[] input)
    {
        var root = Path.Combine(Base, (s_next++).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(root);
        try
        {
            var options = new LayerApplyOptions
            {
                // The last byte picks the whiteout form, so both the apply and overlay paths get inputs.
                WhiteoutMode = input.Length > 0 && (input[^1] & 1) == 1 ? WhiteoutMode.Overlay : WhiteoutMode.Apply,
                MaxLayerSize = MaxLayerSize,
                MaxEntries = 4096,
                MaxPaxHeaderSize = 64 * 1024,
            };
            // The last byte's second bit: take the input as it is, or with its header checksums made right.
            var bytes = input.Length > 0 && (input[^1] & 2) == 2 ? TarChecksums.Fix(input) : input;
            using var tar = new MemoryStream(bytes, writable: false);
            LayerApplier.ApplyAsync(tar, root, options).GetAwaiter().GetResult();
        }
        catch (InvalidLayerException ex)
        {
            Rejection.Note(ex);
            // The documented rejection of a malformed or hostile layer.
        }
        catch (IOException ex)
        {
            Rejection.Note(ex);
            // The documented failure of a file system operation (a name too long for the file system, say).
        }
        finally
        {
            Remove(root);
        }
    }

    private static void Remove(string root)
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not the parser's failure: leave it for `run.sh`, which removes the whole base directory.
        }
    }
}
