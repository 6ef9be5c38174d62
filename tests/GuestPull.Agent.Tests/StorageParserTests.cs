using GuestPull.Agent.Storage;
using GuestPull.Ttrpc;

namespace GuestPull.Agent.Tests;

public sealed class StorageParserTests
{
    [Fact]
    public void KataStorage_IsParsed_WithItsMetadata()
    {
        var storage = StorageParser.Parse([new Api.Agent.V1.Storage
        {
            Driver = "image_guest_pull",
            DriverOptions = { "image_guest_pull={\"metadata\":{\"io.kubernetes.cri.image-name\":\"busybox:1\",\"io.katacontainers.pkg.oci.bundle_path\":\"/b\"}}" },
            Source = "docker.io/library/busybox:1",
            Fstype = "overlay",
            MountPoint = "/run/kata-containers/c1/rootfs",
        }])!;

        Assert.Equal("docker.io/library/busybox:1", storage.Source);
        Assert.Equal("/run/kata-containers/c1/rootfs", storage.MountPoint);
        Assert.Equal("busybox:1", storage.Metadata["io.kubernetes.cri.image-name"]);
        Assert.Equal(2, storage.Metadata.Count);
    }

    [Theory]
    [InlineData("image_guest_pull=[1,2]", "must be a JSON object")]
    [InlineData("image_guest_pull={\"metadata\":[]}", "\"metadata\" must be an object of strings")]
    [InlineData("image_guest_pull={\"metadata\":{\"k\":1}}", "metadata \"k\" must be a string")]
    [InlineData("image_guest_pull=not json", "driver option \"image_guest_pull\" is not valid JSON")]
    public void MalformedDriverOption_IsInvalidArgument_NamingIt(string option, string message)
    {
        var error = Assert.Throws<TtrpcException>(() => StorageParser.Parse([new Api.Agent.V1.Storage { Driver = "image_guest_pull", DriverOptions = { option }, Source = "x" }]));
        Assert.Equal(TtrpcStatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(message, error.StatusMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void NoStorage_MeansTheHostSharedTheRootfs()
    {
        // The container manager then requires root.path below host_rootfs_root (BadInputTests covers the refusal).
        Assert.Null(StorageParser.Parse([]));
    }

    [Fact]
    public void TwoStorages_AreInvalidArgument()
    {
        var one = new Api.Agent.V1.Storage { Driver = "image_guest_pull", Source = "a" };
        var error = Assert.Throws<TtrpcException>(() => StorageParser.Parse([one, one.Clone()]));
        Assert.Contains("2 storages", error.StatusMessage, StringComparison.Ordinal);
    }
}
