using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Net.Client;
using GuestPull.Ocicrypt;
using GuestPull.Ocicrypt.Jwe;
using GuestPull.Api.Ocicrypt.KeyProvider;
using GuestPull.Ocicrypt.Keys;
using GuestPull.Testing;

namespace GuestPull.IntegrationTests.Encryption;

/// <summary>
/// One registry holding busybox plain and encrypted by real skopeo (<c>--encryption-key jwe:PUB</c>) for
/// RSA, EC and two recipients, plus images whose manifests the tests rebuild around skopeo's encrypted blob:
/// its layer key re-wrapped for the tests' cmd and gRPC key providers (Debian's skopeo 1.9 has no
/// <c>provider:</c> protocol), and one with a wrong HMAC in its public options.
/// </summary>
public sealed class EncryptedImagesFixture : IAsyncLifetime
{
    public const string Plain = "plain/busybox:1";
    public const string Rsa = "enc/rsa:1";
    public const string Ec = "enc/ec:1";

    /// <summary>Recompressed with zstd by skopeo, then encrypted: <c>tar+zstd+encrypted</c>.</summary>
    public const string Zstd = "enc/zstd:1";
    public const string TwoRecipients = "enc/two:1";
    public const string Tampered = "enc/tampered:1";
    public const string Cmd = "enc/cmd:1";
    public const string Grpc = "enc/grpc:1";
    public const string BadHmac = "enc/badhmac:1";

    /// <summary>The zstd layer with its HMAC altered: zstd reads to the end of the ciphertext itself.</summary>
    public const string BadHmacZstd = "enc/badhmac-zstd:1";
    public const string PlainDescriptor = "enc/plaindescriptor:1";

    private readonly BusyboxImageFixture _busybox = new();
    private TempDirectory? _directory;
    private RegistryInstance? _registry;

    public RegistryInstance Registry => _registry ?? throw new InvalidOperationException("not initialized");

    internal TestKeys Keys { get; private set; } = null!;

    internal CommandKeyProvider CommandProvider { get; private set; } = null!;

    internal GrpcKeyProviderServer GrpcProvider { get; private set; } = null!;

    /// <summary>A key provider config naming both test providers.</summary>
    public string ProviderConfig { get; private set; } = string.Empty;

    public string WorkDirectory => _directory!.Path;

    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(5)).Token;

    public string Reference(string repoAndTag) => Registry.Host + "/" + repoAndTag;

    public async Task InitializeAsync()
    {
        await _busybox.InitializeAsync();
        _directory = TempDirectory.Create("encrypted-images");
        _registry = await RegistryInstance.StartAsync(new RegistryOptions { Name = "encrypted" }, Timeout);
        await ImageBuilder.PushAsync(_busybox.LayoutDirectory, BusyboxImageFixture.Tag, _registry, Plain, new PushOptions { PreserveDigests = true }, Timeout);
        Keys = await TestKeys.CreateAsync(_directory.CreateSubdirectory("keys"), Timeout);

        await EncryptAsync(Rsa, Keys.RsaPublic);
        await EncryptAsync(Ec, Keys.EcPublic);
        await EncryptAsync(Zstd, ["--dest-compress-format", "zstd"], Keys.RsaPublic);
        await EncryptAsync(TwoRecipients, Keys.RsaPublic, Keys.SecondPublic);
        await EncryptAsync(Tampered, Keys.RsaPublic);

        CommandProvider = CommandKeyProvider.Create(_directory.CreateSubdirectory("cmd-provider"));
        GrpcProvider = await GrpcKeyProviderServer.StartAsync(Timeout);
        ProviderConfig = CommandProvider.WriteConfig(_directory.Combine("ocicrypt-keyprovider.json"), GrpcKeyProviderServer.Name, GrpcProvider.Address);

        var (manifest, privateOptions) = await EncryptedManifestAsync(Rsa);
        await RebuildAsync(manifest, Cmd, layer => WrappedFor(layer, CommandKeyProvider.Name, CommandProvider.WrapAsync(privateOptions, Timeout).GetAwaiter().GetResult()));
        var handle = await GrpcWrapAsync(privateOptions);
        await RebuildAsync(manifest, Grpc, layer => WrappedFor(layer, GrpcKeyProviderServer.Name, handle));
        await RebuildAsync(manifest, BadHmac, FlipHmac);
        await RebuildAsync((await EncryptedManifestAsync(Zstd)).Manifest, BadHmacZstd, FlipHmac);
        await RebuildAsync(manifest, PlainDescriptor, layer =>
        {
            // The secret layer's DiffID is public (in the config); a manifest can claim a plain blob for it.
            layer["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip";
            layer["digest"] = "sha256:" + new string('1', 64);
            layer.AsObject().Remove("annotations");
        });
    }

    public async Task DisposeAsync()
    {
        if (GrpcProvider is not null)
        {
            await GrpcProvider.DisposeAsync();
        }

        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }

        _directory?.Dispose();
        await _busybox.DisposeAsync();
    }

    /// <summary>The digest of the (only) layer of <paramref name="repoAndTag"/>.</summary>
    public async Task<string> LayerDigestAsync(string repoAndTag)
    {
        using var manifest = JsonDocument.Parse(await Skopeo.InspectRawAsync(Registry, repoAndTag, cancellationToken: Timeout));
        return manifest.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!;
    }

    public async Task<string> LayerMediaTypeAsync(string repoAndTag)
    {
        using var manifest = JsonDocument.Parse(await Skopeo.InspectRawAsync(Registry, repoAndTag, cancellationToken: Timeout));
        return manifest.RootElement.GetProperty("layers")[0].GetProperty("mediaType").GetString()!;
    }

    private Task EncryptAsync(string destination, params string[] publicKeys) => EncryptAsync(destination, [], publicKeys);

    private async Task EncryptAsync(string destination, string[] options, params string[] publicKeys)
    {
        await Skopeo.RunAsync(
            [
                "copy", "--src-tls-verify=false", "--dest-tls-verify=false", .. options,
                .. publicKeys.SelectMany(k => new[] { "--encryption-key", "jwe:" + k }),
                "docker://" + Reference(Plain), "docker://" + Reference(destination),
            ],
            TimeSpan.FromMinutes(3),
            Timeout);
    }

    /// <summary>The manifest skopeo wrote for <paramref name="repoAndTag"/> and its layer's private options, opened with the RSA key.</summary>
    private async Task<(JsonNode Manifest, byte[] PrivateOptions)> EncryptedManifestAsync(string repoAndTag)
    {
        var manifest = JsonNode.Parse(await Skopeo.InspectRawAsync(Registry, repoAndTag, cancellationToken: Timeout))!;
        var annotation = manifest["layers"]![0]!["annotations"]![EncryptionAnnotations.Jwe]!.GetValue<string>();
        using var key = DecryptionKeyLoader.Load(Keys.RsaPrivate);
        var opened = JweDecryptor.TryDecrypt(JweMessage.Parse(Convert.FromBase64String(annotation)), [key], new List<string>())
            ?? throw new InvalidOperationException("the RSA key does not open the image skopeo encrypted for it");
        return (manifest, opened.Plaintext);
    }

    private async Task<byte[]> GrpcWrapAsync(byte[] privateOptions)
    {
        using var channel = GrpcChannel.ForAddress("http://" + GrpcProvider.Address);
        var client = new KeyProviderService.KeyProviderServiceClient(channel);
        var request = JsonSerializer.SerializeToUtf8Bytes(new { op = "keywrap", keywrapparams = new { optsdata = privateOptions } });
        var reply = await client.WrapKeyAsync(new keyProviderKeyWrapProtocolInput { KeyProviderKeyWrapProtocolInput = ByteString.CopyFrom(request) }, cancellationToken: Timeout);
        using var json = JsonDocument.Parse(reply.KeyProviderKeyWrapProtocolOutput.Memory);
        return json.RootElement.GetProperty("keywrapresults").GetProperty("annotation").GetBytesFromBase64();
    }

    private static void WrappedFor(JsonNode layer, string provider, byte[] annotation)
    {
        var annotations = layer["annotations"]!.AsObject();
        annotations.Remove(EncryptionAnnotations.Jwe);
        annotations[EncryptionAnnotations.ProviderPrefix + provider] = Convert.ToBase64String(annotation);
    }

    private static void FlipHmac(JsonNode layer)
    {
        var annotations = layer["annotations"]!.AsObject();
        var pubopts = JsonNode.Parse(Convert.FromBase64String(annotations[EncryptionAnnotations.PublicOptions]!.GetValue<string>()))!;
        var hmac = Convert.FromBase64String(pubopts["hmac"]!.GetValue<string>());
        hmac[0] ^= 0x01;
        pubopts["hmac"] = Convert.ToBase64String(hmac);
        annotations[EncryptionAnnotations.PublicOptions] = Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(pubopts));
    }

    /// <summary>Pushes a copy of <paramref name="manifest"/> with its layer edited, linking the same blobs into the new repository.</summary>
    private Task RebuildAsync(JsonNode manifest, string repoAndTag, Action<JsonNode> editLayer)
    {
        var copy = manifest.DeepClone();
        editLayer(copy["layers"]![0]!);
        var (repository, tag) = (repoAndTag.Split(':')[0], repoAndTag.Split(':')[1]);
        Registry.Storage.LinkBlob(repository, copy["config"]!["digest"]!.GetValue<string>());
        var layerDigest = copy["layers"]![0]!["digest"]!.GetValue<string>();
        if (Registry.Storage.BlobExists(layerDigest))
        {
            Registry.Storage.LinkBlob(repository, layerDigest);
        }

        Registry.Storage.PutRawManifest(repository, tag, JsonSerializer.SerializeToUtf8Bytes(copy));
        return Task.CompletedTask;
    }
}
