using System.Text.Json.Nodes;

namespace GuestPull.Testing;

/// Builds OCI images with umoci into an OCI layout directory and pushes them with skopeo.
/// A layout may hold several tags; don't run two builders on the same layout at once (umoci doesn't lock).
public static class ImageBuilder
{
    public const string OciManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndexMediaType = "application/vnd.oci.image.index.v1+json";
    public const string OciConfigMediaType = "application/vnd.oci.image.config.v1+json";

    /// The busybox-static binary copied into images.
    public const string BusyboxBinary = "/bin/busybox";

    /// Applets linked to /bin/busybox in every busybox image.
    public static readonly IReadOnlyList<string> BusyboxApplets =
    [
        "sh", "ash", "echo", "cat", "ls", "sleep", "env", "id", "pwd", "true", "false", "mkdir", "rm", "rmdir",
        "touch", "wc", "head", "tail", "sha256sum", "stat", "test", "[", "printf", "grep", "uname", "hostname",
        "whoami", "ps", "cp", "mv", "ln", "chmod", "chown", "readlink", "find", "sed", "tr", "date", "kill",
        "seq", "dd", "du", "df", "xargs", "mount", "umount", "sync", "yes", "tee", "cut", "sort", "uniq",
    ];

    private const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// Creates (or adds a tag to) <paramref name="layoutDir"/> with a one-layer image: /bin/busybox plus applet
    /// symlinks, /etc/passwd and /etc/group (root 0, user 1000, nobody 65534), /tmp, /root, /home/user.
    /// PATH is set unless <paramref name="config"/>'s Env sets it.
    public static async Task BuildBusyboxAsync(string layoutDir, string tag, ImageConfigOptions? config = null, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(BusyboxBinary))
        {
            throw new FileNotFoundException($"{BusyboxBinary} is missing; install the busybox-static package.", BusyboxBinary);
        }

        if (!File.Exists(Path.Combine(layoutDir, "index.json")))
        {
            await UmociAsync(["init", "--layout", layoutDir], cancellationToken).ConfigureAwait(false);
        }

        await UmociAsync(["new", "--image", ImageRef(layoutDir, tag)], cancellationToken).ConfigureAwait(false);
        await AddLayerAsync(layoutDir, tag, PopulateBusyboxRootfs, cancellationToken).ConfigureAwait(false);

        var env = config?.Env ?? [];
        var withPath = env.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)) ? env : [DefaultPath, .. env];
        var effective = config is null ? new ImageConfigOptions { Env = withPath } : CopyWithEnv(config, withPath);
        await ConfigAsync(layoutDir, tag, effective, cancellationToken).ConfigureAwait(false);
    }

    /// Adds one layer to the image tagged <paramref name="tag"/>: the image is unpacked, <paramref name="editRootfs"/>
    /// changes the rootfs directory it is given (add, modify or delete files), and umoci repack stores the
    /// difference as a new layer.
    public static async Task AddLayerAsync(string layoutDir, string tag, Action<string> editRootfs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(editRootfs);
        using var work = TempDirectory.Create("umoci-bundle");
        var bundle = work.Combine("bundle");
        string[] rootless = IsRoot() ? [] : ["--rootless"];
        await UmociAsync(["unpack", .. rootless, "--image", ImageRef(layoutDir, tag), bundle], cancellationToken).ConfigureAwait(false);
        editRootfs(Path.Combine(bundle, "rootfs"));
        await UmociAsync(["repack", "--image", ImageRef(layoutDir, tag), bundle], cancellationToken).ConfigureAwait(false);
    }

    /// Appends an uncompressed layer tar verbatim (umoci raw add-layer), for layers no repack would
    /// write: opaque directory markers, PAX xattrs, hand-made whiteouts.
    public static async Task AddRawLayerAsync(string layoutDir, string tag, byte[] tar, CancellationToken cancellationToken = default)
    {
        using var work = TempDirectory.Create("umoci-raw-layer");
        var path = work.Combine("layer.tar");
        await File.WriteAllBytesAsync(path, tar, cancellationToken).ConfigureAwait(false);
        await UmociAsync(["raw", "add-layer", "--image", ImageRef(layoutDir, tag), path], cancellationToken).ConfigureAwait(false);
    }

    /// umoci unpack (as root: owners, devices and xattrs kept) into <paramref name="bundleDir"/>; the reference
    /// rootfs GuestPull's unpacking is compared with is <c>bundleDir/rootfs</c>.
    public static Task UnpackAsync(string layoutDir, string tag, string bundleDir, CancellationToken cancellationToken = default)
    {
        string[] rootless = IsRoot() ? [] : ["--rootless"];
        return UmociAsync(["unpack", .. rootless, "--image", ImageRef(layoutDir, tag), bundleDir], cancellationToken);
    }

    /// Applies config changes with `umoci config` (same tag, a new manifest).
    public static Task ConfigAsync(string layoutDir, string tag, ImageConfigOptions config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var arguments = new List<string> { "config", "--image", ImageRef(layoutDir, tag) };
        AddList(arguments, "config.cmd", config.Cmd);
        AddList(arguments, "config.entrypoint", config.Entrypoint);
        AddList(arguments, "config.env", config.Env);
        AddList(arguments, "config.exposedports", config.ExposedPorts);
        AddList(arguments, "config.volume", config.Volumes);
        if (config.Labels is not null)
        {
            AddList(arguments, "config.label", [.. config.Labels.Select(l => $"{l.Key}={l.Value}")]);
        }

        AddValue(arguments, "config.user", config.User);
        AddValue(arguments, "config.workingdir", config.WorkingDirectory);
        AddValue(arguments, "config.stopsignal", config.StopSignal);
        AddValue(arguments, "author", config.Author);
        AddValue(arguments, "architecture", config.Architecture);
        AddValue(arguments, "os", config.Os);
        return UmociAsync(arguments, cancellationToken);
    }

    /// Writes an OCI image index tagged <paramref name="indexTag"/> listing linux/amd64 and linux/arm64
    /// images. Both reuse the layers of <paramref name="sourceTag"/>; each has its own config whose
    /// architecture matches its index entry (the arm64 image is for inspection only — its binaries are
    /// still amd64). Returns the index digest. Push it with <see cref="PushOptions.All"/>.
    public static Task<string> MakeTwoPlatformIndexAsync(string layoutDir, string sourceTag, string indexTag, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var layout = new OciLayout(layoutDir);
        var sourceDescriptor = layout.GetTagDescriptor(sourceTag);
        if ((string?)sourceDescriptor["mediaType"] != OciManifestMediaType)
        {
            throw new InvalidOperationException($"Tag '{sourceTag}' in {layoutDir} is not an OCI image manifest.");
        }

        var sourceManifest = layout.ReadJsonBlob((string)sourceDescriptor["digest"]!);
        var sourceConfig = layout.ReadJsonBlob((string)sourceManifest["config"]!["digest"]!);
        var entries = new JsonArray();
        foreach (var architecture in new[] { "amd64", "arm64" })
        {
            JsonObject descriptor;
            if ((string?)sourceConfig["architecture"] == architecture && (string?)sourceConfig["os"] == "linux")
            {
                descriptor = new JsonObject
                {
                    ["mediaType"] = OciManifestMediaType,
                    ["digest"] = sourceDescriptor["digest"]!.DeepClone(),
                    ["size"] = sourceDescriptor["size"]!.DeepClone(),
                };
            }
            else
            {
                var config = (JsonObject)sourceConfig.DeepClone();
                config["architecture"] = architecture;
                config["os"] = "linux";
                var manifest = (JsonObject)sourceManifest.DeepClone();
                manifest["config"] = layout.WriteBlob(System.Text.Encoding.UTF8.GetBytes(config.ToJsonString()), OciConfigMediaType);
                descriptor = layout.WriteBlob(System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString()), OciManifestMediaType);
            }

            descriptor["platform"] = new JsonObject { ["architecture"] = architecture, ["os"] = "linux" };
            entries.Add(descriptor);
        }

        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciIndexMediaType,
            ["manifests"] = entries,
        };
        var indexDescriptor = layout.WriteBlob(System.Text.Encoding.UTF8.GetBytes(index.ToJsonString()), OciIndexMediaType);
        layout.SetTag(indexTag, indexDescriptor);
        return Task.FromResult((string)indexDescriptor["digest"]!);
    }

    /// The digest of the manifest (or index) that <paramref name="tag"/> names in the layout.
    public static string GetDigest(string layoutDir, string tag) => new OciLayout(layoutDir).GetTagDigest(tag);

    /// A blob of the layout (manifest, config or layer) by digest.
    public static byte[] ReadBlob(string layoutDir, string digest) => new OciLayout(layoutDir).ReadBlob(digest);

    public static Task<string> PushAsync(string layoutDir, string tag, RegistryInstance registry, string repoAndTag, PushOptions? options = null, CancellationToken cancellationToken = default) =>
        PushAsync(layoutDir, tag, registry.Endpoint, repoAndTag, options, cancellationToken);

    /// skopeo copy oci:LAYOUT:TAG docker://HOST/REPO:TAG; returns the digest of the manifest (or index)
    /// as pushed, which differs from the layout's after a format or compression change.
    public static async Task<string> PushAsync(string layoutDir, string tag, RegistryEndpoint endpoint, string repoAndTag, PushOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new PushOptions();
        if (options.Compression == LayerCompression.Zstd && options.Format == ManifestFormat.DockerV2S2)
        {
            throw new ArgumentException("zstd layers need the OCI manifest format; Docker schema 2 has no zstd media type.", nameof(options));
        }

        using var work = TempDirectory.Create("skopeo-push");
        var digestFile = work.Combine("digest");
        var arguments = new List<string> { "copy", "--retry-times=2", $"--digestfile={digestFile}" };
        arguments.AddRange(Skopeo.RegistryArguments(endpoint, options.Credentials, options.Anonymous, trustCa: true, "dest-"));
        switch (options.Format)
        {
            case ManifestFormat.Oci:
                arguments.Add("--format=oci");
                break;
            case ManifestFormat.DockerV2S2:
                arguments.Add("--format=v2s2");
                break;
        }

        if (options.Compression == LayerCompression.Zstd)
        {
            arguments.Add("--dest-compress-format=zstd");
        }
        else if (options.Compression == LayerCompression.None)
        {
            arguments.Add("--dest-decompress");
        }

        if (options.All)
        {
            arguments.Add("--all");
        }

        if (options.PreserveDigests)
        {
            arguments.Add("--preserve-digests");
        }

        arguments.Add($"oci:{layoutDir}:{tag}");
        arguments.Add(Skopeo.DockerReference(endpoint, repoAndTag));
        await Skopeo.RunAsync(arguments, options.Timeout, cancellationToken).ConfigureAwait(false);
        return (await File.ReadAllTextAsync(digestFile, cancellationToken).ConfigureAwait(false)).Trim();
    }

    private static void PopulateBusyboxRootfs(string rootfs)
    {
        var bin = Directory.CreateDirectory(Path.Combine(rootfs, "bin")).FullName;
        File.Copy(BusyboxBinary, Path.Combine(bin, "busybox"));
        UnixFiles.SetMode(Path.Combine(bin, "busybox"), (UnixFileMode)0b111_101_101); // 0755
        foreach (var applet in BusyboxApplets)
        {
            File.CreateSymbolicLink(Path.Combine(bin, applet), "busybox");
        }

        foreach (var directory in new[] { "etc", "proc", "sys", "dev", "var", "usr/bin", "home/user" })
        {
            Directory.CreateDirectory(Path.Combine(rootfs, directory));
        }

        CreateDirectory(Path.Combine(rootfs, "tmp"), (UnixFileMode)0b1_111_111_111); // 1777
        CreateDirectory(Path.Combine(rootfs, "root"), (UnixFileMode)0b111_000_000); // 0700
        File.WriteAllText(Path.Combine(rootfs, "etc", "passwd"),
            "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        File.WriteAllText(Path.Combine(rootfs, "etc", "group"), "root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n");
        // World-writable rather than chowned to 1000, so building needs no chown (and works rootless).
        UnixFiles.SetMode(Path.Combine(rootfs, "home", "user"), (UnixFileMode)0b1_111_111_111); // 1777
    }

    private static void CreateDirectory(string path, UnixFileMode mode)
    {
        Directory.CreateDirectory(path);
        UnixFiles.SetMode(path, mode); // not subject to the umask, unlike the mode given at creation
    }

    private static ImageConfigOptions CopyWithEnv(ImageConfigOptions config, IReadOnlyList<string> env) => new()
    {
        Cmd = config.Cmd,
        Entrypoint = config.Entrypoint,
        Env = env,
        User = config.User,
        WorkingDirectory = config.WorkingDirectory,
        Labels = config.Labels,
        ExposedPorts = config.ExposedPorts,
        Volumes = config.Volumes,
        StopSignal = config.StopSignal,
        Author = config.Author,
        Architecture = config.Architecture,
        Os = config.Os,
    };

    private static void AddList(List<string> arguments, string name, IReadOnlyList<string>? values)
    {
        if (values is null)
        {
            return;
        }

        // umoci replaces cmd/entrypoint with the values given and merges the others; an empty list must clear.
        if (values.Count == 0)
        {
            arguments.Add($"--clear={(name == "config.label" ? "config.labels" : name)}");
        }

        foreach (var value in values)
        {
            // "--name=value" so values that start with '-' (sh -c) are not taken for options.
            arguments.Add($"--{name}={value}");
        }
    }

    private static void AddValue(List<string> arguments, string name, string? value)
    {
        if (value is not null)
        {
            arguments.Add($"--{name}={value}");
        }
    }

    private static string ImageRef(string layoutDir, string tag)
    {
        ArgumentException.ThrowIfNullOrEmpty(layoutDir);
        ArgumentException.ThrowIfNullOrEmpty(tag);
        if (tag.Contains(':', StringComparison.Ordinal) || tag.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{tag}' is not a valid OCI layout tag (no ':' or '/').", nameof(tag));
        }

        return $"{layoutDir}:{tag}";
    }

    private static Task UmociAsync(IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync("umoci", arguments, cancellationToken);

    private static bool IsRoot() => Environment.UserName == "root";
}
