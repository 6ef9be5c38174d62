namespace GuestPull.Testing;

/// A private directory under <see cref="Path.GetTempPath"/> named "guestpull-test-*", deleted on dispose.
public sealed class TempDirectory : IDisposable
{
    private TempDirectory(string path)
    {
        Path = path;
    }

    public string Path { get; }

    /// Creates the directory (mode 0700). <paramref name="purpose"/> only makes the name easier to recognise.
    public static TempDirectory Create(string? purpose = null)
    {
        var prefix = string.IsNullOrEmpty(purpose) ? "guestpull-test-" : $"guestpull-test-{purpose}-";
        return new TempDirectory(Directory.CreateTempSubdirectory(prefix).FullName);
    }

    /// Path.Combine(Path, parts...).
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// Creates (if needed) and returns a subdirectory.
    public string CreateSubdirectory(params string[] parts) => Directory.CreateDirectory(Combine(parts)).FullName;

    /// Best effort: a test that failed half-way may leave something undeletable (a mount), and a cleanup
    /// error must not hide the test's own failure.
    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Path))
            {
                Directory.Delete(Path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public override string ToString() => Path;
}
