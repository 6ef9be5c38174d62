namespace GuestPull.Testing;

public enum ProxyFault
{
    /// Forwarded unchanged.
    None,

    /// The response was cut off: the client connection was closed mid-body.
    Dropped,

    /// A canned response was sent instead of asking the registry.
    Replaced,
}
