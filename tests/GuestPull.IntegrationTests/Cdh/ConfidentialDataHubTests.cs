using System.Text;
using Google.Protobuf;
using GuestPull.Api.Cdh;
using GuestPull.Api.Ocicrypt.KeyProvider;
using GuestPull.Testing;
using GuestPull.Testing.Traits;
using GuestPull.Ttrpc;

namespace GuestPull.IntegrationTests.Cdh;

/// <summary>
/// <c>confidential-data-hub</c> driven over ttrpc exactly as kata-agent 4.x drives it (api.ImagePullService/PullImage
/// with the upstream field numbers, the bundle directory made empty beforehand), each test with a service of its
/// own in its own mount namespace.
/// </summary>
[Trait(Requires.Trait, Requires.Root)]
[Trait(Requires.Trait, Requires.Components)]
public sealed class ConfidentialDataHubTests(CdhImagesFixture images) : IClassFixture<CdhImagesFixture>
{
    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(4)).Token;

    private string InsecureRegistryConfig => $"""
        [image.registry_config]
        unqualified-search-registries = []
        [[image.registry_config.registry]]
        location = "{images.Registry.Host}"
        insecure = true
        """;

    private async Task<int> LayerGetsAsync(string repoAndTag)
    {
        await images.Registry.SyncAccessLogAsync(Timeout);
        return images.LayerDigests[repoAndTag].Sum(images.Registry.CountBlobGets);
    }

    [Fact]
    public async Task PullImage_MountsTheImagesRootfsInTheBundle_AndAnswersTheManifestDigest()
    {
        using var work = TempDirectory.Create("cdh-pull");
        await using var cdh = await CdhProcess.StartAsync(work, "[image]\n" + InsecureRegistryConfig.Replace("[image.registry_config]", "max_concurrent_layer_downloads_per_image = 2\n[image.registry_config]", StringComparison.Ordinal), Timeout);
        const string Bundle = CdhProcess.KataRun + "/c1";

        var response = await cdh.PullAsync(images.Ref(CdhImagesFixture.Other), Bundle, Timeout);

        Assert.Equal(images.ManifestDigests[CdhImagesFixture.Other], response.ManifestDigest);
        var rootfs = cdh.InGuest(Bundle + "/rootfs");
        TreeSnapshot.AssertEqual(TreeSnapshot.Take(images.OtherReferenceRootfs), TreeSnapshot.Take(rootfs), "umoci unpack vs confidential-data-hub's rootfs");
        Assert.Equal("other", await File.ReadAllTextAsync(Path.Combine(rootfs, "srv", "other.txt")));
        Assert.False(File.Exists(Path.Combine(rootfs, "srv", "gone.txt")));
        Assert.True(File.Exists(cdh.InGuest(Bundle + "/config.json")));

        // An overlay of the layers in the guest's layer store under work_dir: nothing of it on the host.
        var mounts = await cdh.ReadMountsAsync(Timeout);
        Assert.Contains($"overlay {Bundle}/rootfs overlay", mounts, StringComparison.Ordinal);
        Assert.Contains("lowerdir=" + CdhProcess.KataRun + "/image/", mounts, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Bundle), "the bundle is in the guest's tmpfs only");
    }

    [Fact]
    public async Task ATamperedLayer_IsAnErrorNamingItsDigest_AndNoRootfsIsMounted()
    {
        using var work = TempDirectory.Create("cdh-tampered");
        // The registry configuration from a file:// URI this time (image-rs's registry_configuration_uri).
        var registries = work.Combine("registries.conf");
        await File.WriteAllTextAsync(registries, InsecureRegistryConfig.Replace("image.registry_config.", string.Empty, StringComparison.Ordinal).Replace("[image.registry_config]", string.Empty, StringComparison.Ordinal));
        await using var cdh = await CdhProcess.StartAsync(work, $"[image]\nregistry_configuration_uri = \"file://{registries}\"\n", Timeout);
        const string Bundle = CdhProcess.KataRun + "/c-tampered";

        var error = await Assert.ThrowsAsync<TtrpcException>(() => cdh.PullAsync(images.Ref(CdhImagesFixture.Tampered), Bundle, Timeout));

        Assert.Equal(TtrpcStatusCode.DataLoss, error.StatusCode);
        Assert.Contains(images.LayerDigests[CdhImagesFixture.Tampered][^1], error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(cdh.InGuest(Bundle + "/rootfs")), "no rootfs after a failed pull");
        Assert.Empty(Directory.EnumerateFileSystemEntries(cdh.InGuest(Bundle)));
    }

    [Fact]
    public async Task APolicyRejectingTheImage_IsAnError_AndNothingIsPulled()
    {
        using var work = TempDirectory.Create("cdh-policy");
        var policy = work.Combine("policy.json");
        var scope = images.Registry.Host + "/cdh";
        await File.WriteAllTextAsync(policy, """{"default": [{"type": "insecureAcceptAnything"}], "transports": {"docker": {"SCOPE": [{"type": "reject"}]}}}""".Replace("SCOPE", scope, StringComparison.Ordinal));
        await using var cdh = await CdhProcess.StartAsync(work, $"[image]\nimage_security_policy_uri = \"file://{policy}\"\n" + InsecureRegistryConfig, Timeout);
        await images.Registry.SyncAccessLogAsync(Timeout);
        images.Registry.ClearRequests();
        const string Bundle = CdhProcess.KataRun + "/c-rejected";

        var error = await Assert.ThrowsAsync<TtrpcException>(() => cdh.PullAsync(images.Ref(CdhImagesFixture.App), Bundle, Timeout));

        Assert.Equal(TtrpcStatusCode.PermissionDenied, error.StatusCode);
        Assert.Contains(images.Ref(CdhImagesFixture.App), error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await LayerGetsAsync(CdhImagesFixture.App));
        Assert.False(Directory.Exists(cdh.InGuest(Bundle + "/rootfs")));
    }

    [Fact]
    public async Task ConcurrentPulls_OfImagesSharingLayers_DownloadEachLayerOnce()
    {
        using var work = TempDirectory.Create("cdh-concurrent");
        await using var cdh = await CdhProcess.StartAsync(work, "[image]\n" + InsecureRegistryConfig, Timeout);
        await images.Registry.SyncAccessLogAsync(Timeout);
        images.Registry.ClearRequests();

        var app = cdh.PullAsync(images.Ref(CdhImagesFixture.App), CdhProcess.KataRun + "/c-app", Timeout);
        var other = cdh.PullAsync(images.Ref(CdhImagesFixture.Other), CdhProcess.KataRun + "/c-other", Timeout);
        var answers = await Task.WhenAll(app, other);

        Assert.Equal(images.ManifestDigests[CdhImagesFixture.App], answers[0].ManifestDigest);
        Assert.Equal(images.ManifestDigests[CdhImagesFixture.Other], answers[1].ManifestDigest);
        await images.Registry.SyncAccessLogAsync(Timeout);
        foreach (var layer in images.LayerDigests[CdhImagesFixture.Other])
        {
            Assert.Equal(1, images.Registry.CountBlobGets(layer));
        }

        Assert.True(File.Exists(cdh.InGuest(CdhProcess.KataRun + "/c-app/rootfs/srv/gone.txt")));
        Assert.True(File.Exists(cdh.InGuest(CdhProcess.KataRun + "/c-other/rootfs/srv/other.txt")));
        Assert.False(File.Exists(cdh.InGuest(CdhProcess.KataRun + "/c-other/rootfs/srv/gone.txt")));
    }

    [Fact]
    public async Task WithoutAnImageSection_TheKernelCommandLinesRegistryAuthIsHonoured()
    {
        await using var registry = await RegistryInstance.StartAsync(
            new RegistryOptions { Name = "cdh-auth", Tls = true, HtpasswdUsers = new Dictionary<string, string> { ["alice"] = "s3cret" } }, Timeout);
        using var build = TempDirectory.Create("cdh-auth-layout");
        var layout = build.Combine("layout");
        await ImageBuilder.BuildBusyboxAsync(layout, "image", new ImageConfigOptions { Cmd = ["true"] }, Timeout);
        var digest = await ImageBuilder.PushAsync(layout, "image", registry, "private/app:1", new PushOptions { PreserveDigests = true }, Timeout);
        var image = registry.Host + "/private/app:1";

        using var work = TempDirectory.Create("cdh-cmdline");
        var dockerConfig = work.Combine("config.json");
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cret"));
        await File.WriteAllTextAsync(dockerConfig, """{"auths": {"HOST": {"auth": "AUTH"}}}""".Replace("HOST", registry.Host, StringComparison.Ordinal).Replace("AUTH", auth, StringComparison.Ordinal));
        var withAuth = work.Combine("cmdline-auth");
        await File.WriteAllTextAsync(withAuth, $"console=hvc0 agent.image_registry_auth=file://{dockerConfig} agent.guest_components_procs=confidential-data-hub quiet\n");
        var withoutAuth = work.Combine("cmdline-plain");
        await File.WriteAllTextAsync(withoutAuth, "console=hvc0 quiet\n");
        var trustTheTestCa = new Dictionary<string, string?> { ["SSL_CERT_FILE"] = registry.CaCertificatePath };
        const string NotImage = "[kbc]\nname = \"offline_fs_kbc\"\n";

        using (var plainWork = TempDirectory.Create("cdh-cmdline-plain"))
        {
            await using var plain = await CdhProcess.StartAsync(plainWork, NotImage, Timeout, withoutAuth, trustTheTestCa);
            var refused = await Assert.ThrowsAsync<TtrpcException>(() => plain.PullAsync(image, CdhProcess.KataRun + "/c-anonymous", Timeout));
            Assert.Equal(TtrpcStatusCode.PermissionDenied, refused.StatusCode);
        }

        await using var cdh = await CdhProcess.StartAsync(work, NotImage, Timeout, withAuth, trustTheTestCa);
        var response = await cdh.PullAsync(image, CdhProcess.KataRun + "/c-private", Timeout);

        Assert.Equal(digest, response.ManifestDigest);
        Assert.True(File.Exists(cdh.InGuest(CdhProcess.KataRun + "/c-private/rootfs/bin/busybox")));
        Assert.Contains("kernel command line " + withAuth, cdh.DescribeOutput(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheOtherCdhServices_AndKbsResources_AnswerUnimplemented_NamingWhatIsNotServed()
    {
        using var work = TempDirectory.Create("cdh-unserved");
        await using var cdh = await CdhProcess.StartAsync(work, """
            [kbc]
            name = "cc_kbc"
            url = "http://127.0.0.1:1"

            [[credentials]]
            path = "/run/secret"
            resource_uri = "kbs:///default/secret/1"

            [image]
            authenticated_registry_credentials_uri = "kbs:///default/credential/test"
            """, Timeout);

        async Task<string> UnimplementedAsync<TRequest, TResponse>(string service, string method, TRequest request)
            where TRequest : IMessage<TRequest>
            where TResponse : IMessage<TResponse>, new()
        {
            var error = await Assert.ThrowsAsync<TtrpcException>(() => cdh.CallAsync<TRequest, TResponse>(service, method, request, Timeout));
            Assert.Equal(TtrpcStatusCode.Unimplemented, error.StatusCode);
            return error.Message;
        }

        var sealedSecret = await UnimplementedAsync<UnsealSecretInput, UnsealSecretOutput>("api.SealedSecretService", "UnsealSecret", new UnsealSecretInput { Secret = ByteString.CopyFromUtf8("sealed.x.y.z") });
        Assert.Contains("api.SealedSecretService/UnsealSecret is not served", sealedSecret, StringComparison.Ordinal);
        Assert.Contains("sealed secrets", sealedSecret, StringComparison.Ordinal);
        Assert.Contains("api.SecureMountService/SecureMount is not served", await UnimplementedAsync<SecureMountRequest, SecureMountResponse>("api.SecureMountService", "SecureMount", new SecureMountRequest { VolumeType = "block-device" }), StringComparison.Ordinal);
        Assert.Contains("api.GetResourceService/GetResource is not served", await UnimplementedAsync<GetResourceRequest, GetResourceResponse>("api.GetResourceService", "GetResource", new GetResourceRequest { ResourcePath = "kbs:///default/key/1" }), StringComparison.Ordinal);
        Assert.Contains("keyprovider.KeyProviderService/UnWrapKey is not served", await UnimplementedAsync<keyProviderKeyWrapProtocolInput, keyProviderKeyWrapProtocolOutput>("keyprovider.KeyProviderService", "UnWrapKey", new keyProviderKeyWrapProtocolInput()), StringComparison.Ordinal);
        Assert.Contains("keyprovider.KeyProviderService/WrapKey is not served", await UnimplementedAsync<keyProviderKeyWrapProtocolInput, keyProviderKeyWrapProtocolOutput>("keyprovider.KeyProviderService", "WrapKey", new keyProviderKeyWrapProtocolInput()), StringComparison.Ordinal);

        // A pull whose credentials live in a key broker is refused rather than tried anonymously.
        var pull = await UnimplementedAsync<ImagePullRequest, ImagePullResponse>("api.ImagePullService", "PullImage", new ImagePullRequest { ImageUrl = images.Ref(CdhImagesFixture.App), BundlePath = CdhProcess.KataRun + "/c-kbs" });
        Assert.Contains("authenticated_registry_credentials_uri = \"kbs:///default/credential/test\"", pull, StringComparison.Ordinal);
        Assert.Contains("kbc: accepted, not served", cdh.DescribeOutput(), StringComparison.Ordinal);
    }
}
