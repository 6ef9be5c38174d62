using GuestPull.Ocicrypt.Jwe;
using GuestPull.Oci.Model;

namespace GuestPull.Ocicrypt;

/// <summary>What an encrypted layer's descriptor says about its encryption: the wrapped keys and the public options.</summary>
public sealed class LayerEncryptionInfo
{
    private LayerEncryptionInfo(Descriptor layer, IReadOnlyList<WrappedKeyGroup> groups, byte[]? publicOptions)
    {
        Layer = layer;
        KeyGroups = groups;
        PublicOptions = publicOptions;
    }

    /// <summary>The layer.</summary>
    public Descriptor Layer { get; }

    /// <summary>The wrapped-key annotations, in the descriptor's order.</summary>
    public IReadOnlyList<WrappedKeyGroup> KeyGroups { get; }

    /// <summary>The decoded public options, or null when the annotation is missing.</summary>
    public byte[]? PublicOptions { get; }

    /// <summary>
    /// Reads the encryption annotations of <paramref name="layer"/>; throws <see cref="LayerDecryptionException"/>
    /// when the layer is not encrypted, carries no wrapped key, or an annotation is not base64.
    /// </summary>
    /// <param name="layer">An encrypted layer's descriptor.</param>
    public static LayerEncryptionInfo Parse(Descriptor layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (!EncryptedMediaTypes.IsEncrypted(layer.MediaType))
        {
            throw new LayerDecryptionException($"layer {layer.Digest} is not encrypted ({layer.MediaType})");
        }

        var groups = new List<WrappedKeyGroup>();
        byte[]? publicOptions = null;
        foreach (var (name, value) in layer.Annotations)
        {
            if (name == EncryptionAnnotations.PublicOptions)
            {
                publicOptions = Decode(layer, name, value);
            }
            else if (name.StartsWith(EncryptionAnnotations.KeysPrefix, StringComparison.Ordinal) && value.Length > 0)
            {
                var entries = value.Split(',').Select(entry => Decode(layer, name, entry)).ToList();
                groups.Add(new WrappedKeyGroup(name, name[EncryptionAnnotations.KeysPrefix.Length..], entries));
            }
        }

        if (groups.Count == 0)
        {
            throw new LayerDecryptionException($"layer {layer.Digest} is encrypted but carries no wrapped key (no {EncryptionAnnotations.KeysPrefix}* annotation)");
        }

        return new LayerEncryptionInfo(layer, groups, publicOptions);
    }

    /// <summary>Who can decrypt the layer, one line per recipient: <c>jwe RSA-OAEP</c>, <c>jwe ECDH-ES+A256KW P-256</c>, <c>provider NAME</c>, …</summary>
    public IReadOnlyList<string> DescribeRecipients()
    {
        var recipients = new List<string>();
        foreach (var group in KeyGroups)
        {
            foreach (var entry in group.Entries)
            {
                if (group.Scheme == "jwe")
                {
                    try
                    {
                        recipients.AddRange(JweMessage.Parse(entry).Recipients.Select(r => "jwe " + r));
                    }
                    catch (FormatException e)
                    {
                        recipients.Add("jwe (unreadable: " + e.Message + ")");
                    }
                }
                else if (group.ProviderName is { } provider)
                {
                    recipients.Add("provider " + provider);
                }
                else
                {
                    recipients.Add(group.Scheme + " (not supported)");
                }
            }
        }

        return recipients;
    }

    private static byte[] Decode(Descriptor layer, string name, string value)
    {
        try
        {
            return Convert.FromBase64String(value);
        }
        catch (FormatException e)
        {
            throw new LayerDecryptionException($"layer {layer.Digest}: annotation {name} is not base64", e);
        }
    }
}
