using GuestPull.Oci.Model;

namespace GuestPull.Oci.Tests.Model;

public sealed class ImageReferenceTests
{
    private const string Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    [Theory]
    [InlineData("busybox", "docker.io", "library/busybox", "latest", "docker.io/library/busybox:latest")]
    [InlineData("busybox:1.36", "docker.io", "library/busybox", "1.36", "docker.io/library/busybox:1.36")]
    [InlineData("library/busybox", "docker.io", "library/busybox", "latest", "docker.io/library/busybox:latest")]
    [InlineData("docker.io/busybox", "docker.io", "library/busybox", "latest", "docker.io/library/busybox:latest")]
    [InlineData("index.docker.io/library/busybox", "docker.io", "library/busybox", "latest", "docker.io/library/busybox:latest")]
    [InlineData("someuser/app", "docker.io", "someuser/app", "latest", "docker.io/someuser/app:latest")]
    [InlineData("localhost/app", "localhost", "app", "latest", "localhost/app:latest")]
    [InlineData("localhost:5000/a/b/c:v1", "localhost:5000", "a/b/c", "v1", "localhost:5000/a/b/c:v1")]
    [InlineData("127.0.0.1:5000/app:1.0", "127.0.0.1:5000", "app", "1.0", "127.0.0.1:5000/app:1.0")]
    [InlineData("quay.io/kata-containers/agent", "quay.io", "kata-containers/agent", "latest", "quay.io/kata-containers/agent:latest")]
    [InlineData("registry.example.com:443/ns/app__x.y-z:Tag_1", "registry.example.com:443", "ns/app__x.y-z", "Tag_1", "registry.example.com:443/ns/app__x.y-z:Tag_1")]
    public void NormalisesLikeDocker(string text, string registry, string repository, string tag, string full)
    {
        var reference = ImageReference.Parse(text);
        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Null(reference.Digest);
        Assert.Equal(full, reference.ToString());
        Assert.Equal(tag, reference.ManifestReference);
    }

    [Fact]
    public void ShortNamesAreMarked()
    {
        Assert.True(ImageReference.Parse("busybox").IsShortName);
        Assert.True(ImageReference.Parse("user/app").IsShortName);
        Assert.False(ImageReference.Parse("docker.io/busybox").IsShortName);
        Assert.False(ImageReference.Parse("localhost/app").IsShortName);
    }

    [Fact]
    public void DigestReferencesUseTheDigestForTheManifest()
    {
        var byDigest = ImageReference.Parse("busybox@sha256:" + Hex);
        Assert.Null(byDigest.Tag);
        Assert.Equal("sha256:" + Hex, byDigest.ManifestReference);
        Assert.Equal("docker.io/library/busybox@sha256:" + Hex, byDigest.ToString());

        var both = ImageReference.Parse("localhost:5000/app:1.0@sha256:" + Hex);
        Assert.Equal("1.0", both.Tag);
        Assert.Equal("sha256:" + Hex, both.ManifestReference);
        Assert.Equal("localhost:5000/app:1.0@sha256:" + Hex, both.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Busybox", "lower case")]
    [InlineData("docker.io/Library/busybox", "lower case")]
    [InlineData("busybox:", "invalid tag")]
    [InlineData("busybox:-x", "invalid tag")]
    [InlineData("busybox:a/b", "invalid registry host")]
    [InlineData("busybox@sha256:abc", "64 hex characters")]
    [InlineData("busybox@md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported algorithm")]
    [InlineData("busybox@sha256:../../x", "")]
    [InlineData("a//b", "invalid repository component")]
    [InlineData("example.com/", "missing repository")]
    [InlineData("exa_mple.com:5000/app", "invalid registry host")]
    [InlineData("example.com:port/app", "invalid registry host")]
    [InlineData("busy box", "white space")]
    [InlineData("app/../etc", "invalid repository component")]
    public void RejectsInvalidReferencesWithAReason(string text, string reason)
    {
        var ex = Assert.Throws<FormatException>(() => ImageReference.Parse(text));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.False(ImageReference.TryParse(text, out _));
    }

    [Fact]
    public void RejectsOverlongTagsAndNames()
    {
        Assert.Throws<FormatException>(() => ImageReference.Parse("app:" + new string('a', 129)));
        ImageReference.Parse("app:" + new string('a', 128));
        Assert.Throws<FormatException>(() => ImageReference.Parse("example.com/" + new string('a', 250)));
    }

    [Fact]
    public void WithDigestAndWithRegistry()
    {
        var reference = ImageReference.Parse("busybox:1.36");
        var digest = Digest.Parse("sha256:" + Hex);
        Assert.Equal("docker.io/library/busybox:1.36@sha256:" + Hex, reference.WithDigest(digest).ToString());
        Assert.Equal("quay.io/busybox:1.36", reference.WithRegistry("quay.io").ToString());
        Assert.Equal("quay.io/library/busybox:1.36", ImageReference.Parse("docker.io/library/busybox:1.36").WithRegistry("quay.io").ToString());
    }

    [Fact]
    public void EqualityUsesTheNormalisedForm()
    {
        Assert.Equal(ImageReference.Parse("busybox"), ImageReference.Parse("docker.io/library/busybox:latest"));
        Assert.NotEqual(ImageReference.Parse("busybox"), ImageReference.Parse("busybox:1"));
    }
}
