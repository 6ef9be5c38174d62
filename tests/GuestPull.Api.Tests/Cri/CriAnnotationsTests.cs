using GuestPull.Api.Cri;

namespace GuestPull.Api.Tests.Cri;

public sealed class CriAnnotationsTests
{
    [Fact]
    public void ContainerdKeysComeBeforeCrioKeysAndEmptyValuesAreSkipped()
    {
        var annotations = new Dictionary<string, string>
        {
            [CriAnnotations.ImageName] = "",
            [CriAnnotations.CrioImageName] = "crio/image:1",
        };

        Assert.Equal("crio/image:1", CriAnnotations.First(annotations.GetValueOrDefault, CriAnnotations.ImageNameKeys));
        annotations[CriAnnotations.ImageName] = "containerd/image:1";
        Assert.Equal("containerd/image:1", CriAnnotations.First(annotations.GetValueOrDefault, CriAnnotations.ImageNameKeys));
        Assert.Null(CriAnnotations.First(annotations.GetValueOrDefault, CriAnnotations.SandboxIdKeys));
    }

    [Theory]
    [InlineData(CriAnnotations.ContainerType, "sandbox", true)]
    [InlineData(CriAnnotations.CrioContainerType, "sandbox", true)]
    [InlineData(CriAnnotations.ContainerType, "container", false)]
    [InlineData("io.kubernetes.docker.type", "sandbox", false)]
    public void TheSandboxIsRecognisedUnderEitherRuntimesKey(string key, string value, bool sandbox)
    {
        var annotations = new Dictionary<string, string> { [key] = value };
        Assert.Equal(sandbox, CriAnnotations.IsSandbox(annotations.GetValueOrDefault));
    }
}
