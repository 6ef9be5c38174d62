using System.Security.Cryptography;
using System.Text;

namespace GuestPull.Oci.Model;

/// <summary>
/// ChainID arithmetic from the OCI image spec: ChainID(L0) = DiffID(L0), and
/// ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(n)). containerd names snapshots by ChainID.
/// </summary>
public static class LayerChain
{
    /// <summary>The ChainID of a layer on top of the chain <paramref name="parent"/> (null for the base layer).</summary>
    public static Digest ChainId(Digest? parent, Digest diffId)
    {
        if (parent is null)
        {
            return diffId;
        }

        var text = Encoding.ASCII.GetBytes(parent.Value + " " + diffId);
        return Digest.FromHash("sha256", SHA256.HashData(text));
    }

    /// <summary>The ChainIDs of every prefix of <paramref name="diffIds"/>, base first.</summary>
    public static IReadOnlyList<Digest> ChainIds(IReadOnlyList<Digest> diffIds)
    {
        ArgumentNullException.ThrowIfNull(diffIds);
        var result = new List<Digest>(diffIds.Count);
        Digest? parent = null;
        foreach (var diffId in diffIds)
        {
            parent = ChainId(parent, diffId);
            result.Add(parent.Value);
        }

        return result;
    }
}
