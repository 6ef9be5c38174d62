using GuestPull.Images.Signatures;
using GuestPull.Oci.Model;
using GuestPull.Testing;

namespace GuestPull.Images.Tests.Signatures;

public sealed class RegistriesDirectoryTests : IDisposable
{
    private readonly TempDirectory _directory = TempDirectory.Create("registries-d");

    public void Dispose() => _directory.Dispose();

    private RegistriesDirectory Load(params (string Name, string Yaml)[] files)
    {
        var dir = _directory.CreateSubdirectory(Guid.NewGuid().ToString("N"));
        foreach (var (name, yaml) in files)
        {
            File.WriteAllText(Path.Combine(dir, name), yaml);
        }

        return RegistriesDirectory.Load(dir);
    }

    private static string? Lookaside(RegistriesDirectory directory, string image) =>
        directory.LookasideFor(PolicyScopes.For(ImageReference.Parse(image))).Lookaside?.ToString();

    [Fact]
    public void MostSpecificNamespaceWinsThenTheDefault()
    {
        var directory = Load(
            ("a.yaml", "default-docker:\n  lookaside: file:///var/sigs\n"),
            ("b.yaml", "docker:\n  registry.example.com:\n    lookaside: https://sigs.example.com/all\n  registry.example.com/team:\n    sigstore: https://sigs.example.com/team\n  registry.example.com/empty:\n    use-sigstore-attachments: true\n"),
            ("ignored.conf", "not: [yaml"));
        Assert.Equal("https://sigs.example.com/team", Lookaside(directory, "registry.example.com/team/app:1"));
        Assert.Equal("https://sigs.example.com/all", Lookaside(directory, "registry.example.com/other:1"));
        Assert.Equal("https://sigs.example.com/all", Lookaside(directory, "registry.example.com/empty/app:1"));
        Assert.Equal("file:///var/sigs", Lookaside(directory, "quay.io/x:1"));
    }

    [Fact]
    public void MissingDirectoryConfiguresNothing()
    {
        Assert.Null(Lookaside(RegistriesDirectory.Load("/nonexistent/registries.d"), "quay.io/x:1"));
    }

    [Fact]
    public void SignatureLocationFollowsContainersImageLayout()
    {
        var digest = Digest.Parse("sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00");
        var uri = LookasideSignatureFetcher.SignatureUri(new Uri("https://sigs.example.com/base/"), ImageReference.Parse("registry.example.com/team/app:1"), digest, 2);
        Assert.Equal("https://sigs.example.com/base/team/app@sha256=634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00/signature-2", uri.ToString());
    }

    [Theory]
    [InlineData("default-docker:\n  lookaside: /relative/path\n", "default-docker.lookaside: \"/relative/path\" is not an absolute file://")]
    [InlineData("default-docker:\n  lookaside: ftp://x/y\n", "default-docker.lookaside: \"ftp://x/y\" is not an absolute")]
    [InlineData("default-docker:\n  lookasid: file:///x\n", "default-docker.lookasid: unknown setting")]
    [InlineData("docker: [1, 2]\n", "docker must be a map")]
    [InlineData("dockerz: {}\n", "unknown top-level key \"dockerz\"")]
    [InlineData("default-docker:\n  use-sigstore-attachments: maybe\n", "use-sigstore-attachments: must be true or false")]
    [InlineData("default-docker: [\n", "not valid YAML")]
    public void MalformedFilesAreRefusedWithTheFieldNamed(string yaml, string expected)
    {
        var ex = Assert.Throws<PolicyFormatException>(() => Load(("x.yaml", yaml)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("x.yaml", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANamespaceInTwoFilesIsAnError()
    {
        var ex = Assert.Throws<PolicyFormatException>(() => Load(
            ("a.yaml", "docker:\n  example.com:\n    lookaside: file:///a\n"),
            ("b.yaml", "docker:\n  example.com:\n    lookaside: file:///b\n")));
        Assert.Contains("docker[\"example.com\"] is already defined in", ex.Message, StringComparison.Ordinal);
    }
}
