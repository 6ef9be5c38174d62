using System.Text.Json;
using GuestPull.IntegrationTests.Infrastructure;
using GuestPull.Testing;
using GuestPull.Testing.Traits;

namespace GuestPull.IntegrationTests.Inspect;

/// <summary>Short names are qualified with registries.conf's unqualified-search-registries.</summary>
[Trait(Requires.Trait, Requires.Components)]
[Collection(RegistryImagesCollection.Name)]
public sealed class InspectShortNameTests(RegistryImagesFixture images)
{
    [Fact]
    public async Task AShortNameIsQualifiedWithTheSearchRegistry()
    {
        using var dir = TempDirectory.Create("short-names");
        var conf = dir.Combine("registries.conf");
        File.WriteAllText(conf, $$"""
            unqualified-search-registries = ["{{images.Host}}"]
            [[registry]]
            location = "{{images.Host}}"
            insecure = true
            """);

        var result = await GuestPullCli.RunAsync("inspect", "--registries-conf", conf, "--format", "json", RegistryImagesFixture.MultiLayer);
        CliAssert.Succeeded(result);
        using var json = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal(images.Ref(RegistryImagesFixture.MultiLayer), json.RootElement.GetProperty("reference").GetString());
    }

    [Fact]
    public async Task EnforcingModeRefusesToGuessBetweenSeveralRegistries()
    {
        using var dir = TempDirectory.Create("short-names");
        var conf = dir.Combine("registries.conf");
        File.WriteAllText(conf, $$"""
            unqualified-search-registries = ["{{images.Host}}", "{{images.ZstdRegistry.Host}}"]
            short-name-mode = "enforcing"
            """);

        var result = await GuestPullCli.RunAsync("inspect", "--registries-conf", conf, RegistryImagesFixture.MultiLayer);
        CliAssert.Failed(result, 1, "short-name-mode is enforcing", "use a fully qualified reference");
    }
}
