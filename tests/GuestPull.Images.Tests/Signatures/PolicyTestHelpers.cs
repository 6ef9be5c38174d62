using System.Text;
using GuestPull.Images.Signatures;
using GuestPull.Oci.Model;

namespace GuestPull.Images.Tests.Signatures;

internal static class PolicyTestHelpers
{
    public static SignaturePolicy Parse(string json, string? baseDirectory = null) =>
        SignaturePolicy.Parse(Encoding.UTF8.GetBytes(json), "policy.json", baseDirectory);

    /// <summary>The single requirement a one-requirement default policy holds.</summary>
    public static T DefaultRequirement<T>(string requirementJson)
        where T : PolicyRequirement
    {
        var policy = Parse($"{{\"default\": [{requirementJson}]}}");
        var (_, requirements) = policy.RequirementsFor(ImageReference.Parse("example.com/any:1"));
        return Assert.IsType<T>(Assert.Single(requirements));
    }

    public static SignatureContext Context(string image, params ManifestCandidate[] candidates) =>
        Context(image, RegistriesDirectory.Empty, candidates);

    public static SignatureContext Context(string image, RegistriesDirectory registriesDirectory, params ManifestCandidate[] candidates) =>
        new(ImageReference.Parse(image), candidates, registry: null, registriesDirectory, () => throw new InvalidOperationException("no HTTP in unit tests"));

    public static string Json(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
