using GuestPull.Cache.Distribution;

namespace GuestPull.Cache.Tests;

public sealed class ByteRangeTests
{
    [Theory]
    [InlineData("bytes=0-99", 0, 100)]
    [InlineData("bytes=100-", 100, 900)]
    [InlineData("bytes=900-5000", 900, 100)]
    [InlineData("bytes=-10", 990, 10)]
    [InlineData("bytes=-5000", 0, 1000)]
    [InlineData("BYTES = 5-5", 5, 1)]
    public void ASingleRangeIsServedPartially(string header, long start, long length)
    {
        var (kind, range) = ByteRange.Parse(header.Replace("BYTES = ", "bytes=", StringComparison.Ordinal), 1000);
        Assert.Equal(RangeRequest.Partial, kind);
        Assert.Equal(new ByteRange(start, length), range);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("bytes=0-9,20-29")]
    [InlineData("items=0-9")]
    [InlineData("bytes=9-3")]
    [InlineData("bytes=abc-")]
    [InlineData("bytes=5")]
    public void AMissingOrUnusableHeaderServesTheWholeBlob(string? header)
    {
        var (kind, range) = ByteRange.Parse(header, 1000);
        Assert.Equal(RangeRequest.Whole, kind);
        Assert.Equal(new ByteRange(0, 1000), range);
    }

    [Theory]
    [InlineData("bytes=1000-")]
    [InlineData("bytes=2000-3000")]
    [InlineData("bytes=-0")]
    public void ARangePastTheEndIsUnsatisfiable(string header) =>
        Assert.Equal(RangeRequest.Unsatisfiable, ByteRange.Parse(header, 1000).Kind);

    [Fact]
    public void EndIsInclusive() => Assert.Equal(109, new ByteRange(100, 10).End);
}
