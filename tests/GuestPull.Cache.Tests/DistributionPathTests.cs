using GuestPull.Cache.Distribution;

namespace GuestPull.Cache.Tests;

public sealed class DistributionPathTests
{
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("/v2/")]
    [InlineData("/v2")]
    public void TheApiBase(string path) => Assert.Equal(RequestKind.ApiBase, DistributionPath.Parse(path)!.Kind);

    [Fact]
    public void ABlobOfANestedNameKeepsTheWholeName()
    {
        var path = DistributionPath.Parse($"/v2/registry.example.com/library/busybox/blobs/{Digest}")!;
        Assert.Equal(RequestKind.Blob, path.Kind);
        Assert.Equal("registry.example.com/library/busybox", path.Name);
        Assert.Equal(Digest, path.Reference);
    }

    [Fact]
    public void ARepositoryNamedBlobsIsStillARepository()
    {
        var path = DistributionPath.Parse($"/v2/team/blobs/app/manifests/{Digest}")!;
        Assert.Equal(RequestKind.Manifest, path.Kind);
        Assert.Equal("team/blobs/app", path.Name);
    }

    [Theory]
    [InlineData("/v2/library/busybox/tags/list")]
    [InlineData("/v2/_catalog")]
    [InlineData("/v2/library/busybox/blobs/uploads/")]
    [InlineData("/v2/library/busybox/referrers/" + Digest)]
    [InlineData("/v2/blobs/" + Digest)]
    public void OtherEndpointsAreUnsupported(string path) => Assert.Equal(RequestKind.Unsupported, DistributionPath.Parse(path)!.Kind);

    [Fact]
    public void APathOutsideV2IsNotADistributionPath() => Assert.Null(DistributionPath.Parse("/v1/_ping"));
}
