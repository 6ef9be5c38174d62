using System.Text;
using GuestPull.Images.Signatures;
using GuestPull.Oci.Model;

namespace GuestPull.Images.Tests.Signatures;

public sealed class PolicyParserTests
{
    private static string KeyPath => SigstoreFixtures.PublicKey;

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[]", "the top level: must be a JSON object")]
    [InlineData("{}", "default: missing")]
    [InlineData("{\"default\": []}", "default: an empty requirement list is not allowed")]
    [InlineData("{\"default\": [{\"type\": \"reject\"}], \"extra\": 1}", "the top level.extra: unknown field")]
    [InlineData("{\"default\": [{\"type\": \"reject\"}], \"default\": [{\"type\": \"reject\"}]}", "not valid JSON")]
    [InlineData("{\"default\": [{\"type\": \"acceptEverything\"}]}", "default[0].type: unknown requirement type \"acceptEverything\"")]
    [InlineData("{\"default\": [{}]}", "default[0].type: missing")]
    [InlineData("{\"default\": [{\"type\": \"reject\", \"keyPath\": \"/x\"}]}", "default[0].keyPath: unknown field")]
    [InlineData("{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"docker\": {\"example.com/app\": []}}}", "transports.docker[\"example.com/app\"]: an empty requirement list")]
    [InlineData("{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"docker\": {\"busybox\": [{\"type\": \"reject\"}]}}}", "transports.docker[\"busybox\"]: invalid scope")]
    [InlineData("{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"docker\": {\"docker.io/busybox\": [{\"type\": \"reject\"}]}}}", "write the scope fully expanded as docker.io/library/busybox")]
    [InlineData("{\"default\": [{\"type\": \"signedBy\", \"keyPath\": \"/k\"}]}", "default[0].keyType: missing")]
    [InlineData("{\"default\": [{\"type\": \"signedBy\", \"keyType\": \"X509Certificates\", \"keyPath\": \"/k\"}]}", "default[0].keyType: \"X509Certificates\" is not supported")]
    [InlineData("{\"default\": [{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\"}]}", "default[0]: needs one of keyPath, keyPaths, keyData")]
    [InlineData("{\"default\": [{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\", \"keyPath\": \"/nonexistent/key.gpg\"}]}", "default[0].keyPath: cannot read key file /nonexistent/key.gpg")]
    [InlineData("{\"default\": [{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\", \"keyData\": \"!!!\"}]}", "default[0].keyData: is not valid base64")]
    [InlineData("{\"default\": [{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\", \"keyData\": \"aGVsbG8=\"}]}", "default[0].keyData: not an OpenPGP public keyring")]
    // Found by fuzzing (fuzz/, policy-json): a keyring whose public key packet has version 0 made
    // BouncyCastle throw its UnsupportedPacketVersionException out of the parser.
    [InlineData("{\"default\": [{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\", \"keyData\": \"mDMAaxI05BYJKwYBBAHaRw8BAQdAUSmvCiIVaKHb0gRUHpkOSGC8x3rTSb0cC8KCMBgHYj60HGZ1enogc2VlZCA8ZnV6ekBleGFtcGxlLmNvbT6IkAQTFggAOBYhBMt/lDohqdARxWUk6PEuTVs3RRu7BQJrEjTkAhsDBQsJCAcCBhUKCQgLAgQWAgMBAh4BAheAAAoJEPEuTVs3RRu7YNIA/3R5CZm8xV/2v9duKCSqSSpvG1nHpkDFWyL0u6XCGu9FAQC0f2RizDw17dw1aYqaLlH3HTQCuvGSG7l6C4z/F66mAw==\"}]}", "default[0].keyData: not an OpenPGP public keyring")]
    [InlineData("{\"default\": [{\"type\": \"sigstoreSigned\", \"keyData\": \"aGVsbG8=\"}]}", "default[0].keyData: no PEM \"PUBLIC KEY\" block found")]
    [InlineData("{\"default\": [{\"type\": \"sigstoreSigned\", \"fulcio\": {}}]}", "default[0].fulcio: Fulcio certificates and Rekor are not supported")]
    [InlineData("{\"default\": [{\"type\": \"sigstoreSigned\", \"keyPaths\": []}]}", "default[0].keyPaths: must not be empty")]
    public void MalformedPolicyIsRefusedWithTheFieldNamed(string json, string expected)
    {
        var ex = Assert.Throws<PolicyFormatException>(() => PolicyTestHelpers.Parse(json));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("policy.json: ", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"type\": \"exactReference\", \"dockerReference\": \"example.com/app\"}", ".signedIdentity.dockerReference: \"example.com/app\" has neither a tag nor a digest")]
    [InlineData("{\"type\": \"exactRepository\", \"dockerRepository\": \"example.com/app:1\"}", ".signedIdentity.dockerRepository: \"example.com/app:1\" must be a repository")]
    [InlineData("{\"type\": \"exactRepository\"}", ".signedIdentity.dockerRepository: missing")]
    [InlineData("{\"type\": \"remapIdentity\", \"prefix\": \"example.com\", \"signedPrefix\": \"Bad Prefix\"}", ".signedIdentity.signedPrefix: \"Bad Prefix\" is not a valid prefix")]
    [InlineData("{\"type\": \"remapIdentity\", \"prefix\": \"example.com/app:1\", \"signedPrefix\": \"other.com\"}", ".signedIdentity.prefix")]
    [InlineData("{\"type\": \"matchEverything\"}", ".signedIdentity.type: unknown signedIdentity type")]
    [InlineData("{\"type\": \"matchRepository\", \"dockerReference\": \"a.com/b:1\"}", ".signedIdentity.dockerReference: unknown field")]
    public void MalformedSignedIdentityIsRefusedWithTheFieldNamed(string identity, string expected)
    {
        var json = $"{{\"default\": [{{\"type\": \"sigstoreSigned\", \"keyPath\": {PolicyTestHelpers.Json(KeyPath)}, \"signedIdentity\": {identity}}}]}}";
        var ex = Assert.Throws<PolicyFormatException>(() => PolicyTestHelpers.Parse(json));
        Assert.Contains("default[0]" + expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TwoKeySourcesAreRefused()
    {
        var json = $"{{\"default\": [{{\"type\": \"sigstoreSigned\", \"keyPath\": {PolicyTestHelpers.Json(KeyPath)}, \"keyData\": \"aGVsbG8=\"}}]}}";
        var ex = Assert.Throws<PolicyFormatException>(() => PolicyTestHelpers.Parse(json));
        Assert.Contains("default[0]: has keyPath and keyData; exactly one", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingPolicyFileIsAnError()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => SignaturePolicy.Load("/nonexistent/guestpull/policy.json"));
        Assert.Contains("/nonexistent/guestpull/policy.json does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RelativeKeyPathsAreResolvedAgainstThePolicyDirectory()
    {
        var json = "{\"default\": [{\"type\": \"sigstoreSigned\", \"keyPath\": \"cosign.pub\"}]}";
        var policy = SignaturePolicy.Parse(Encoding.UTF8.GetBytes(json), "policy.json", SigstoreFixtures.Directory);
        Assert.IsType<SigstoreSignedRequirement>(Assert.Single(policy.RequirementsFor(ImageReference.Parse("a.com/b:1")).Requirements));
    }

    [Fact]
    public void KeyDataAndKeyPathsAreAccepted()
    {
        var pem = Convert.ToBase64String(File.ReadAllBytes(KeyPath));
        var json = $"{{\"default\": [{{\"type\": \"sigstoreSigned\", \"keyDatas\": [\"{pem}\"]}}, {{\"type\": \"sigstoreSigned\", \"keyPaths\": [{PolicyTestHelpers.Json(KeyPath)}, {PolicyTestHelpers.Json(SigstoreFixtures.OtherPublicKey)}]}}]}}";
        var (_, requirements) = PolicyTestHelpers.Parse(json).RequirementsFor(ImageReference.Parse("a.com/b:1"));
        Assert.Equal(2, requirements.Count);
    }

    [Theory]
    [InlineData("registry.example.com/team/app:1", "transports.docker[\"registry.example.com/team/app:1\"]")]
    [InlineData("registry.example.com/team/app:2", "transports.docker[\"registry.example.com/team/app\"]")]
    [InlineData("registry.example.com/team/other:1", "transports.docker[\"registry.example.com/team\"]")]
    [InlineData("registry.example.com/solo:1", "transports.docker[\"registry.example.com\"]")]
    [InlineData("mirror.example.com/x:1", "transports.docker[\"*.example.com\"]")]
    [InlineData("localhost:5000/x:1", "transports.docker[\"\"]")]
    public void TheMostSpecificScopeApplies(string image, string expectedScope)
    {
        const string Reject = "[{\"type\": \"reject\"}]";
        var json = $$"""
            {
              "default": [{"type": "insecureAcceptAnything"}],
              "transports": {
                "docker": {
                  "registry.example.com/team/app:1": {{Reject}},
                  "registry.example.com/team/app": {{Reject}},
                  "registry.example.com/team": {{Reject}},
                  "registry.example.com": {{Reject}},
                  "*.example.com": {{Reject}},
                  "": {{Reject}}
                },
                "docker-daemon": { "": [{"type": "insecureAcceptAnything"}] }
              }
            }
            """;
        var (scope, _) = PolicyTestHelpers.Parse(json).RequirementsFor(ImageReference.Parse(image));
        Assert.Equal(expectedScope, scope);
    }

    [Fact]
    public void WithoutADockerScopeTheDefaultApplies()
    {
        var (scope, requirements) = PolicyTestHelpers.Parse("{\"default\": [{\"type\": \"reject\"}]}").RequirementsFor(ImageReference.Parse("busybox"));
        Assert.Equal("default", scope);
        Assert.IsType<RejectRequirement>(Assert.Single(requirements));
    }

    [Fact]
    public async Task RejectScopeRejectsWithItsOwnMessage()
    {
        var json = "{\"default\": [{\"type\": \"insecureAcceptAnything\"}], \"transports\": {\"docker\": {\"example.com/blocked\": [{\"type\": \"reject\"}]}}}";
        using var evaluator = new PolicyEvaluator(PolicyTestHelpers.Parse(json), null, null);
        var manifest = SigstoreFixtures.Read("dir-img-cosign-valid/manifest.json");
        var document = ManifestParser.Parse(manifest, null);
        var rejected = await evaluator.EvaluateAsync(ImageReference.Parse("example.com/blocked:1"), null, document, CancellationToken.None);
        Assert.False(rejected.Accepted);
        Assert.Equal("reject", rejected.Requirement);
        Assert.Equal("transports.docker[\"example.com/blocked\"]", rejected.Scope);
        Assert.Contains("rejects every image in this scope", rejected.Reason, StringComparison.Ordinal);

        var accepted = await evaluator.EvaluateAsync(ImageReference.Parse("example.com/open:1"), null, document, CancellationToken.None);
        Assert.True(accepted.Accepted);
        Assert.Equal("insecureAcceptAnything", accepted.Requirement);

        var ex = await Assert.ThrowsAsync<PolicyRejectedException>(() => evaluator.EnforceAsync(ImageReference.Parse("example.com/blocked:1"), null, document, CancellationToken.None));
        Assert.Contains("requirement reject (scope transports.docker[\"example.com/blocked\"]) failed", ex.Message, StringComparison.Ordinal);
    }

    // Regression tests from the fuzzing campaign (fuzz/, target policy-json): a key or string that is
    // not UTF-8 escaped as InvalidOperationException from wherever the parser first read it.
    [Theory]
    [InlineData("""{"defau~t":[{"type":"insecureAcceptAnything"}]}""")]
    [InlineData("""{"default":[{"type":"insecureAccep~Anything"}]}""")]
    [InlineData("""{"default":[{"type":"reject"}],"transports":{"docker":{"docker.io~library/busybox":[{"type":"reject"}]}}}""")]
    [InlineData("""{"default":[{"type":"reject"}],"transports":{"docker":{"a.com":[{"type":"\udc00"}]}}}""")]
    public void AKeyOrStringThatIsNotUtf8IsRefusedAsMalformed(string json)
    {
        // '~' stands for a raw 0x89 byte: a continuation byte with nothing to continue.
        var bytes = Encoding.UTF8.GetBytes(json).Select(b => b == (byte)'~' ? (byte)0x89 : b).ToArray();

        var ex = Assert.Throws<PolicyFormatException>(() => SignaturePolicy.Parse(bytes, "policy.json"));
        Assert.Contains("not valid UTF-8", ex.Message, StringComparison.Ordinal);
    }
}
