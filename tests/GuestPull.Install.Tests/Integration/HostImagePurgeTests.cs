using GuestPull.Install.Containerd;
using GuestPull.Install.Doctor;
using GuestPull.Testing;
using GuestPull.Testing.Containerd;
using GuestPull.Testing.Traits;

namespace GuestPull.Install.Tests.Integration;

/// <summary>Purging host images through containerd's Images API, and doctor's check for images unpacked by another snapshotter.</summary>
[Trait(Requires.Trait, Requires.Components)]
public sealed class HostImagePurgeTests : IClassFixture<BusyboxImageFixture>
{
    private readonly BusyboxImageFixture _busybox;

    public HostImagePurgeTests(BusyboxImageFixture busybox) => _busybox = busybox;

    [Fact]
    public async Task PurgeDeletesExactlyTheNamedImagesAndDoctorSeesTheConflictUntilThen()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        await using var registry = await RegistryInstance.StartAsync(timeout.Token);
        await using var containerd = await ContainerdInstance.StartAsync(cancellationToken: timeout.Token);
        var names = new[] { "one", "two", "three" }.Select(n => $"{registry.Host}/purge/{n}:1").ToList();
        foreach (var name in names)
        {
            await ImageBuilder.PushAsync(_busybox.LayoutDirectory, BusyboxImageFixture.Tag, registry, name[(registry.Host.Length + 1)..], cancellationToken: timeout.Token);
            await containerd.RunCtrAsync(["images", "pull", "--plain-http", name], "k8s.io", cancellationToken: timeout.Token);
        }
        // An image of the same name in another namespace is not CRI's and must stay.
        await containerd.RunCtrAsync(["images", "pull", "--plain-http", names[0]], "default", cancellationToken: timeout.Token);
        var options = new InstallOptions { ContainerdAddress = containerd.GrpcAddress, ContainerdConfig = "/nonexistent/config.toml" };

        var before = await GuestPullDoctor.RunAsync(options, timeout.Token);
        var finding = before.Find("host.images");
        Assert.True(finding?.Status == DoctorStatus.Fail, finding?.ToString());
        Assert.Contains("3 image(s)", finding!.Message, StringComparison.Ordinal);
        Assert.All(names, name => Assert.Contains(name, finding.Message, StringComparison.Ordinal));
        Assert.Contains("guestpull install --purge-host-images " + string.Join(' ', names.Order(StringComparer.Ordinal)), finding.Fix, StringComparison.Ordinal);
        Assert.DoesNotContain("default", finding.Message, StringComparison.Ordinal);

        using var client = new ContainerdClient(containerd.GrpcAddress);
        var deleted = await HostImagePurger.PurgeAsync(client, "k8s.io", [names[0], names[2], $"{registry.Host}/purge/absent:1"], timeout.Token);

        Assert.Equal([names[0], names[2]], deleted);
        Assert.Equal([names[1]], await client.ListImagesAsync("k8s.io", timeout.Token));
        Assert.Equal([names[0]], await client.ListImagesAsync("default", timeout.Token));
        var between = (await GuestPullDoctor.RunAsync(options, timeout.Token)).Find("host.images");
        Assert.Contains("1 image(s)", between!.Message, StringComparison.Ordinal);
        Assert.EndsWith("--purge-host-images " + names[1] + " (or --purge-all-host-images)", between.Fix, StringComparison.Ordinal);

        await HostImagePurger.PurgeAsync(client, "k8s.io", null, timeout.Token);
        Assert.Empty(await client.ListImagesAsync("k8s.io", timeout.Token));
        var after = await GuestPullDoctor.RunAsync(options, timeout.Token);
        Assert.Equal(DoctorStatus.Pass, after.Find("host.images")?.Status);
    }

    [Theory]
    [InlineData("busybox", "docker.io/library/busybox:latest")]
    [InlineData("library/busybox:1.36", "docker.io/library/busybox:1.36")]
    [InlineData("registry.k8s.io/pause:3.8", "registry.k8s.io/pause:3.8")]
    [InlineData("localhost/x", "localhost/x:latest")]
    [InlineData("127.0.0.1:5000/a/b@sha256:00", "127.0.0.1:5000/a/b@sha256:00")]
    public void ShortNamesAreNormalizedAsCriStoresThem(string name, string normalized) =>
        Assert.Equal(normalized, HostImagePurger.Normalize(name));
}
