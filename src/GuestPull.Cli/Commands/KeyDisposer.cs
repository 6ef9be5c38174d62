using GuestPull.Ocicrypt.Keys;

namespace GuestPull.Cli.Commands;

/// <summary>Disposes loaded decryption keys at the end of a command.</summary>
internal sealed class KeyDisposer(IReadOnlyList<DecryptionKey> keys) : IDisposable
{
    public void Dispose()
    {
        foreach (var key in keys)
        {
            key.Dispose();
        }
    }
}
