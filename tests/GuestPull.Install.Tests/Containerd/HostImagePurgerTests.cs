using GuestPull.Install.Containerd;

namespace GuestPull.Install.Tests.Containerd;

/// <summary>Which records a named purge takes with it: CRI keeps three per pulled image.</summary>
public sealed class HostImagePurgerTests
{
    private const string Target = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string OtherTarget = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    private const string Id = "sha256:9999999999999999999999999999999999999999999999999999999999999999";

    private static ContainerdImage Record(string name, string target = Target) => new(name, target, "application/vnd.oci.image.manifest.v1+json");

    [Fact]
    public void ANamedTag_TakesItsDigestReferenceAndTheImageId()
    {
        var tag = Record("127.0.0.1:5000/app:1");
        var present = new[] { tag, Record("127.0.0.1:5000/app@" + Target), Record(Id), Record("127.0.0.1:5000/other:1", OtherTarget) };

        var purged = HostImagePurger.WithCompanions(present, [tag]);

        Assert.Equal(["127.0.0.1:5000/app:1", "127.0.0.1:5000/app@" + Target, Id], purged.Select(r => r.Name));
    }

    [Fact]
    public void TheImageId_StaysWhileAnotherNameStillPointsAtTheImage()
    {
        var tag = Record("127.0.0.1:5000/app:1");
        var present = new[] { tag, Record("127.0.0.1:5000/app@" + Target), Record("127.0.0.1:5000/copy:1"), Record(Id) };

        var purged = HostImagePurger.WithCompanions(present, [tag]);

        Assert.Equal(["127.0.0.1:5000/app:1", "127.0.0.1:5000/app@" + Target], purged.Select(r => r.Name));
    }

    [Fact]
    public void ADigestReferenceOfAnotherRepository_IsNotACompanion()
    {
        var tag = Record("registry.example:443/team/app:1");
        var present = new[] { tag, Record("registry.example:443/team/other@" + Target) };

        Assert.Equal([tag], HostImagePurger.WithCompanions(present, [tag]));
    }
}
