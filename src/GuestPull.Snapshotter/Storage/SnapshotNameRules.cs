using System.Text;

namespace GuestPull.Snapshotter.Storage;

/// <summary>
/// Bounds the names a client hands in (keys, parents, committed names): each is kept in the database,
/// in logs and in every answer that lists it, so one request with a name of megabytes would cost its
/// size many times over, and nothing gives it back. 4096 bytes, as for containerd's labels, is far
/// above the longest key containerd makes (a namespace, a counter and a chain ID).
/// </summary>
internal static class SnapshotNameRules
{
    public const int MaxNameBytes = 4096;

    /// <summary>Throws InvalidArgument when <paramref name="value"/> is over <see cref="MaxNameBytes"/> UTF-8 bytes.</summary>
    /// <param name="value">The name; null or empty passes (emptiness is checked where it matters).</param>
    /// <param name="field">What the name is, for the message: <c>key</c>, <c>parent</c>, <c>name</c>.</param>
    public static void Validate(string? value, string field)
    {
        // Counting is linear but cheap next to the request's own parsing; a string longer than the
        // limit in UTF-16 units is over it in bytes too, so huge names cost nothing more.
        if (value is null || value.Length <= MaxNameBytes / 3)
        {
            return;
        }

        var bytes = value.Length > MaxNameBytes ? value.Length : Encoding.UTF8.GetByteCount(value);
        if (bytes > MaxNameBytes)
        {
            throw SnapshotException.InvalidArgument(
                $"snapshot {field} is {(value.Length > MaxNameBytes ? "at least " : string.Empty)}{bytes} bytes, over the limit of {MaxNameBytes} bytes (it starts \"{value[..32]}\")");
        }
    }

    /// <summary>A name short enough for a log line.</summary>
    public static string ForLog(string value) => value.Length <= 256 ? value : value[..256] + $"… ({value.Length} characters)";
}
