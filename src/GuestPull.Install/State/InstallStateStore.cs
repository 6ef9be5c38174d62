using System.Text.Json;

namespace GuestPull.Install.State;

/// <summary>Reads and writes the install record (JSON, replaced atomically).</summary>
internal static class InstallStateStore
{
    public static async Task<InstallState?> LoadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            await using var stream = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync(stream, InstallStateJson.Default.InstallState, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            throw new InstallException($"the install record {path} is damaged ({ex.Message}); move it away to uninstall without it", ex);
        }
    }

    public static void Save(string path, InstallState state) =>
        FileWriter.WriteAtomically(path, JsonSerializer.Serialize(state, InstallStateJson.Default.InstallState), (UnixFileMode)0b110_000_000);
}
