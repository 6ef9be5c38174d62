namespace GuestPull.Ocicrypt;

/// <summary>No key given could unwrap an encrypted layer's key; the message names the layer, its recipients and the keys tried.</summary>
public sealed class LayerKeyUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LayerKeyUnavailableException(string layer, IReadOnlyList<string> recipients, IReadOnlyList<string> attempts)
        : base($"cannot decrypt layer {layer}: no usable key. Recipients: {string.Join("; ", recipients)}. Tried: {(attempts.Count == 0 ? "nothing (no --decryption-key, no key provider configured)" : string.Join("; ", attempts))}")
    {
        Layer = layer;
        Recipients = recipients;
        Attempts = attempts;
    }

    /// <summary>The layer's digest.</summary>
    public string Layer { get; }

    /// <summary>The layer's recipients.</summary>
    public IReadOnlyList<string> Recipients { get; }

    /// <summary>What was tried and why each failed.</summary>
    public IReadOnlyList<string> Attempts { get; }
}
