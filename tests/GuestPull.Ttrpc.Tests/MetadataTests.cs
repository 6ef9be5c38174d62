namespace GuestPull.Ttrpc.Tests;

public sealed class MetadataTests
{
    [Fact]
    public void ForContainerdNamespace_UsesContainerdsKey()
    {
        var metadata = TtrpcMetadata.ForContainerdNamespace("k8s.io");

        var entry = Assert.Single(metadata);
        Assert.Equal(new KeyValuePair<string, string>("containerd-namespace-ttrpc", "k8s.io"), entry);
        Assert.Equal("k8s.io", metadata.ContainerdNamespace);
    }

    [Fact]
    public void Lookups_IgnoreCase_AndKeepRepeatedValuesInOrder()
    {
        var metadata = new TtrpcMetadata();
        metadata.Add("X-Id", "1");
        metadata.Add("x-id", "2");

        Assert.Equal("1", metadata.GetValue("x-ID"));
        Assert.Equal(["1", "2"], metadata.GetValues("X-ID"));
        Assert.Null(metadata.GetValue("other"));
    }

    [Fact]
    public void Set_ReplacesEveryValueOfTheKey()
    {
        var metadata = new TtrpcMetadata();
        metadata.Add("k", "1");
        metadata.Add("K", "2");

        metadata.Set("k", "3");

        Assert.Equal(["3"], metadata.GetValues("k"));
    }

    [Fact]
    public void Add_EmptyKey_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new TtrpcMetadata().Add("", "v"));
    }
}
