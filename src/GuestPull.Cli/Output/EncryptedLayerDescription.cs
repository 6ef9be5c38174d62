using GuestPull.Oci.Model;
using GuestPull.Ocicrypt;

namespace GuestPull.Cli.Output;

/// <summary>What <c>inspect</c> says about an encrypted layer: who it is encrypted for.</summary>
internal static class EncryptedLayerDescription
{
    /// <summary>The layer's recipients, or null for a plain layer.</summary>
    public static IReadOnlyList<string>? Recipients(Descriptor layer)
    {
        if (!EncryptedMediaTypes.IsEncrypted(layer.MediaType))
        {
            return null;
        }

        try
        {
            return LayerEncryptionInfo.Parse(layer).DescribeRecipients();
        }
        catch (LayerDecryptionException e)
        {
            return ["(unreadable: " + e.Message + ")"];
        }
    }
}
