using Xunit;

namespace GuestPull.Testing;

/// xunit class/collection fixture: one busybox image (tag "latest", cmd ["sh"]) built once into an OCI
/// layout that tests push from. Tests that change the image should copy the layout first.
public sealed class BusyboxImageFixture : IAsyncLifetime
{
    public const string Tag = "latest";

    private TempDirectory? _directory;

    public string LayoutDirectory => _directory?.Combine("layout") ?? throw new InvalidOperationException("The fixture is not initialized.");

    /// The manifest digest of <see cref="Tag"/> in the layout.
    public string ManifestDigest { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        _directory = TempDirectory.Create("busybox-image");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await ImageBuilder.BuildBusyboxAsync(LayoutDirectory, Tag, new ImageConfigOptions { Cmd = ["sh"] }, timeout.Token).ConfigureAwait(false);
        ManifestDigest = ImageBuilder.GetDigest(LayoutDirectory, Tag);
    }

    /// Copies the layout to <paramref name="destination"/> (which must not exist) for a test to modify.
    public string CopyLayoutTo(string destination)
    {
        CopyDirectory(LayoutDirectory, destination);
        return destination;
    }

    public Task DisposeAsync()
    {
        _directory?.Dispose();
        return Task.CompletedTask;
    }

    private static void CopyDirectory(string source, string destination)
    {
        if (Directory.Exists(destination))
        {
            throw new IOException($"'{destination}' already exists.");
        }

        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        }

        foreach (var directory in Directory.EnumerateDirectories(source))
        {
            CopyDirectory(directory, Path.Combine(destination, Path.GetFileName(directory)));
        }
    }
}
