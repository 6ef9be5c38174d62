using GuestPull.Oci.Model;

namespace GuestPull.Oci.Tests.Model;

public sealed class PlatformTests
{
    [Theory]
    [InlineData("linux/amd64", "linux", "amd64", null)]
    [InlineData("linux/x86_64", "linux", "amd64", null)]
    [InlineData("linux/aarch64", "linux", "arm64", null)]
    [InlineData("linux/arm64/v8", "linux", "arm64", "v8")]
    [InlineData("linux/arm", "linux", "arm", "v7")]
    [InlineData("linux/arm/6", "linux", "arm", "v6")]
    [InlineData("Linux/S390X", "linux", "s390x", null)]
    public void ParsesAndNormalises(string text, string os, string arch, string? variant)
    {
        var p = Platform.Parse(text);
        Assert.Equal(os, p.Os);
        Assert.Equal(arch, p.Architecture);
        Assert.Equal(variant, p.Variant);
    }

    [Theory]
    [InlineData("linux")]
    [InlineData("linux/")]
    [InlineData("linux/amd64/v1/x")]
    [InlineData("linux/am d64")]
    [InlineData("")]
    public void RejectsMalformedPlatforms(string text)
    {
        var ex = Assert.Throws<FormatException>(() => Platform.Parse(text));
        Assert.Contains("os/architecture", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MatchingRespectsOsArchitectureAndVariant()
    {
        var amd64 = Platform.Parse("linux/amd64");
        Assert.True(amd64.Matches(Platform.Parse("linux/amd64")));
        Assert.False(amd64.Matches(Platform.Parse("linux/arm64")));
        Assert.False(amd64.Matches(Platform.Parse("windows/amd64")));

        var arm64 = Platform.Parse("linux/arm64");
        Assert.True(arm64.Matches(Platform.Parse("linux/arm64/v8")));
        Assert.True(Platform.Parse("linux/arm64/v8").Matches(Platform.Parse("linux/arm64")));
        Assert.False(Platform.Parse("linux/arm/v7").Matches(Platform.Parse("linux/arm/v6")));
    }

    [Fact]
    public void CurrentIsLinux()
    {
        Assert.Equal("linux", Platform.Current.Os);
        Assert.False(string.IsNullOrEmpty(Platform.Current.Architecture));
    }
}
