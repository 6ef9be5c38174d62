using GuestPull.Linux;

namespace GuestPull.Unpack.Tests.Helpers;

/// <summary>
/// Drops a capability from the calling thread's effective set until disposed (capabilities are
/// per thread on Linux). Only meaningful around code that runs synchronously on this thread.
/// </summary>
internal sealed class DroppedCapability : IDisposable
{
    private readonly CapabilitySets _saved;

    public DroppedCapability(int capability)
    {
        _saved = ThreadCapabilities.Get();
        ThreadCapabilities.Set(_saved.WithoutEffective(capability));
    }

    public void Dispose() => ThreadCapabilities.Set(_saved);
}
