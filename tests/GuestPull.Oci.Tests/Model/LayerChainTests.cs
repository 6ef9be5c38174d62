using System.Security.Cryptography;
using System.Text;
using GuestPull.Oci.Model;

namespace GuestPull.Oci.Tests.Model;

public sealed class LayerChainTests
{
    [Fact]
    public void FirstChainIdIsTheDiffId()
    {
        var diff = Digest.ComputeSha256("layer0"u8);
        Assert.Equal(diff, LayerChain.ChainId(null, diff));
        Assert.Equal([diff], LayerChain.ChainIds([diff]));
    }

    [Fact]
    public void FollowsTheSpecFormula()
    {
        var d0 = Digest.ComputeSha256("a"u8);
        var d1 = Digest.ComputeSha256("b"u8);
        var d2 = Digest.ComputeSha256("c"u8);
        var c1 = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes($"{d0} {d1}")));
        var c2 = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes($"{c1} {d2}")));

        var chain = LayerChain.ChainIds([d0, d1, d2]);
        Assert.Equal([d0.ToString(), c1, c2], chain.Select(c => c.ToString()));
    }
}
