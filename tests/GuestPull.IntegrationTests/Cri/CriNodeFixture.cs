using GuestPull.IntegrationTests.Encryption;
using GuestPull.Testing;
using GuestPull.Testing.Cri;

namespace GuestPull.IntegrationTests.Cri;

/// <summary>One <see cref="CriNode"/> for a test class: starting containerd with CRI takes a while.</summary>
public class CriNodeFixture : IAsyncLifetime
{
    private readonly BusyboxImageFixture _busybox = new();
    private CriNode? _node;
    private TempDirectory? _keysDirectory;
    private TestKeys? _keys;

    internal CriNode Node => _node ?? throw new InvalidOperationException("The node is not started.");

    internal BusyboxImageFixture Busybox => _busybox;

    /// <summary>The test's JWE key pairs; the shim's <c>[agent]</c> table gives the agent the RSA private key.</summary>
    internal TestKeys Keys => _keys ?? throw new InvalidOperationException("This node's agent holds no decryption key.");

    /// <summary>Whether the agent gets <see cref="Keys"/>' RSA private key (<c>decryption_keys</c>).</summary>
    private protected virtual bool GivesTheAgentAKey => false;

    public virtual async Task InitializeAsync()
    {
        await _busybox.InitializeAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        string? agentConfig = null;
        if (GivesTheAgentAKey)
        {
            _keysDirectory = TempDirectory.Create("cri-keys");
            _keys = await TestKeys.CreateAsync(_keysDirectory.Path, timeout.Token);
            agentConfig = $"decryption_keys = [\"{_keys.RsaPrivate}\"]";
        }

        var defaults = new CriNodeOptions { GuestPullCommand = ["dotnet", Path.Combine(AppContext.BaseDirectory, "guestpull.dll")], ExtraAgentConfig = agentConfig };
        _node = await CriNode.StartAsync(_busybox, Options(defaults), timeout.Token);
    }

    /// <summary>
    /// Pushes busybox plus a layer of its own (FILE holding CONTENT, a fresh GUID by default) as
    /// REPOSITORY:1 to the node's registry: an image id no other test shares (containerd 1.6's CRI names a
    /// container's image after the first reference of its image id). CONFIG, when given, changes the
    /// image's config (its user, its command). Returns the image and its own layer.
    /// </summary>
    internal async Task<(string Image, string OwnLayer)> PushImageOfItsOwnAsync(
        string repository, string file = "own.txt", string? content = null, CancellationToken token = default, ImageConfigOptions? config = null)
    {
        using var work = TempDirectory.Create("cri-" + repository);
        var layout = Busybox.CopyLayoutTo(work.Combine("layout"));
        await ImageBuilder.AddLayerAsync(layout, BusyboxImageFixture.Tag, rootfs => File.WriteAllText(Path.Combine(rootfs, file), content ?? Guid.NewGuid().ToString()), token);
        if (config is not null)
        {
            await ImageBuilder.ConfigAsync(layout, BusyboxImageFixture.Tag, config, token);
        }

        await ImageBuilder.PushAsync(layout, BusyboxImageFixture.Tag, Node.Registry, repository + ":1", cancellationToken: token);
        return ($"{Node.Registry.Host}/{repository}:1", HostTraces.LayerDigests(layout, BusyboxImageFixture.Tag)[^1]);
    }

    /// <summary>
    /// An image of its own (encryption keeps the config, so the image id must differ from every other
    /// test's), pushed plain, then encrypted by skopeo for the JWE recipient PUBLICKEY as REPOSITORY:1.
    /// </summary>
    internal async Task<string> PushEncryptedImageAsync(string repository, string publicKey, CancellationToken token)
    {
        var (plain, _) = await PushImageOfItsOwnAsync("plain-" + repository, token: token);
        var result = await Skopeo.RunAsync(
            ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--encryption-key", "jwe:" + publicKey,
             "docker://" + plain, $"docker://{Node.Registry.Host}/{repository}:1"],
            TimeSpan.FromMinutes(3),
            token);
        Assert.True(result.ExitCode == 0, $"skopeo copy --encryption-key failed:\n{result.StandardError}");
        return $"{Node.Registry.Host}/{repository}:1";
    }

    /// <summary>The node's options: the defaults (a namespace sandbox); a derived fixture changes them.</summary>
    private protected virtual CriNodeOptions Options(CriNodeOptions defaults) => defaults;

    public virtual async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        await _busybox.DisposeAsync();
        _keysDirectory?.Dispose();
    }
}
