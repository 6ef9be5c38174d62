using GuestPull.Configuration.Sandbox;
using GuestPull.Install.Containerd;
using GuestPull.Install.Services;
using GuestPull.Install.Toml;
using GuestPull.Linux.Virtualization;

namespace GuestPull.Install.Doctor;

/// <summary>
/// <c>guestpull doctor</c>: checks a node against what guest pull needs, each finding with a fix.
/// Reads only: it never changes the host (the overlay probe mounts and unmounts in a temporary directory).
/// </summary>
public static class GuestPullDoctor
{
    /// <summary>Runs every check for the install described by <paramref name="options"/>.</summary>
    public static async Task<DoctorReport> RunAsync(InstallOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var findings = new List<DoctorFinding>();
        var version = await CheckContainerdVersionAsync(options, findings, cancellationToken).ConfigureAwait(false);
        var config = CheckContainerdConfig(options, findings);
        if (config is { } found)
        {
            CheckConfigSettings(options, found, version, findings);
        }
        await CheckSnapshotterAsync(options, findings, cancellationToken).ConfigureAwait(false);
        var shim = CheckShim(options, findings);
        CheckMountHelper(options, findings);
        findings.AddRange(await SandboxChecks.RunAsync(
            options.ShimConfigFile, ContainerdSearchPath(options), GuestImageBesideShim(options, shim), KvmProbe.Probe, cancellationToken).ConfigureAwait(false));
        findings.AddRange(await CacheChecks.RunAsync(options, cancellationToken).ConfigureAwait(false));
        findings.AddRange(FileSystemChecks.Run(options.SnapshotterRoot));
        await CheckHostImagesAsync(options, config, version, findings, cancellationToken).ConfigureAwait(false);
        return new DoctorReport(findings);
    }

    private static async Task<ContainerdVersion?> CheckContainerdVersionAsync(InstallOptions options, List<DoctorFinding> findings, CancellationToken cancellationToken)
    {
        ContainerdVersion version;
        try
        {
            version = await ContainerdHost.DetectContainerdVersionAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (InstallException ex)
        {
            findings.Add(new("containerd.version", DoctorStatus.Fail, ex.Message, "install containerd 1.6 or later (Debian: apt-get install containerd)"));
            return null;
        }
        if (options.RuntimeSpecific && !version.IsAtLeast(ContainerdVersion.RuntimeSpecificSnapshotter))
        {
            findings.Add(new("containerd.version", DoctorStatus.Fail, $"containerd {version} has no per-runtime snapshotter (1.7+)",
                "upgrade containerd to 1.7 or later, or use the global snapshotter (install without --runtime-specific)"));
        }
        else if (!version.IsAtLeast(new ContainerdVersion(1, 6, 0, "1.6.0")))
        {
            findings.Add(new("containerd.version", DoctorStatus.Fail, $"containerd {version} is older than 1.6", "upgrade containerd to 1.6 or later"));
        }
        else
        {
            findings.Add(new("containerd.version", DoctorStatus.Pass, $"containerd {version}", string.Empty));
        }
        return version;
    }

    private static (TomlDocumentEditor Editor, ContainerdConfigLayout Layout)? CheckContainerdConfig(InstallOptions options, List<DoctorFinding> findings)
    {
        var path = options.ContainerdConfig;
        if (!File.Exists(path))
        {
            findings.Add(new("containerd.config", DoctorStatus.Fail, $"{path} does not exist (containerd runs on its defaults: no proxy plugin)",
                "run guestpull install, or guestpull install --config-only to write just the config"));
            return null;
        }
        try
        {
            var text = File.ReadAllText(path);
            var layout = ContainerdConfigLayout.ForVersion(ContainerdConfigPatcher.ReadVersion(text, path), path);
            findings.Add(new("containerd.config", DoctorStatus.Pass, $"{path}: config version {layout.Version}", string.Empty));
            return (ContainerdConfigPatcher.Open(text, path), layout);
        }
        catch (InstallException ex)
        {
            findings.Add(new("containerd.config", DoctorStatus.Fail, ex.Message, "fix the file (containerd config default shows a valid one), then guestpull install"));
            return null;
        }
    }

    private static void CheckConfigSettings(
        InstallOptions options, (TomlDocumentEditor Editor, ContainerdConfigLayout Layout) config, ContainerdVersion? version, List<DoctorFinding> findings)
    {
        var (editor, layout) = config;
        var images = ContainerdConfigPatcher.Header(layout.ImageSettingsTable);
        var annotations = editor.GetValueText(layout.ImageSettingsTable, "disable_snapshot_annotations");
        // containerd's default for this key is true before 2.0 and false from 2.0 on.
        var annotationsOn = annotations == "false" || (annotations is null && version?.Major >= 2);
        findings.Add(annotationsOn
            ? new("containerd.annotations", DoctorStatus.Pass, "snapshot annotations are passed to snapshotters", string.Empty)
            : new("containerd.annotations", DoctorStatus.Fail,
                $"disable_snapshot_annotations is {annotations ?? "unset (true by default)"}: the snapshotter never sees the image and layer references it needs",
                $"set disable_snapshot_annotations = false in [{images}] (guestpull install does), then restart containerd"));

        var discard = editor.GetValueText(layout.ImageSettingsTable, "discard_unpacked_layers");
        findings.Add(discard == "true"
            ? new("containerd.layers", DoctorStatus.Fail, "discard_unpacked_layers = true: layer blobs are dropped after unpack, so another snapshotter cannot unpack them later",
                $"set discard_unpacked_layers = false in [{images}], then restart containerd")
            : new("containerd.layers", DoctorStatus.Pass, "unpacked layers are kept", string.Empty));

        var proxy = ContainerdConfigLayout.ProxyPlugin(ContainerdConfigRequest.DefaultSnapshotterName);
        var type = editor.GetValueText(proxy, "type");
        var address = editor.GetValueText(proxy, "address");
        var expectedAddress = TomlDocumentEditor.Quote(options.SnapshotterAddress);
        if (type is null && address is null)
        {
            findings.Add(new("containerd.proxy-plugin", DoctorStatus.Fail, "[proxy_plugins.guestpull] is not declared: containerd does not know the snapshotter",
                "run guestpull install (or --config-only), then restart containerd"));
        }
        else if (type != "\"snapshot\"" || address != expectedAddress)
        {
            findings.Add(new("containerd.proxy-plugin", DoctorStatus.Fail,
                $"[proxy_plugins.guestpull] has type {type ?? "unset"} and address {address ?? "unset"}; expected \"snapshot\" and {expectedAddress}",
                "set them (guestpull install does), or pass the snapshotter address this node uses with --snapshotter-address"));
        }
        else
        {
            findings.Add(new("containerd.proxy-plugin", DoctorStatus.Pass, $"[proxy_plugins.guestpull] points at {options.SnapshotterAddress}", string.Empty));
        }

        var snapshotter = TomlDocumentEditor.Quote(ContainerdConfigRequest.DefaultSnapshotterName);
        if (options.RuntimeSpecific)
        {
            var handlers = options.RuntimeHandlers ?? ContainerdConfigPatcher.DefaultHandlers(editor, layout, ContainerdConfigRequest.DefaultRuntimeHandler);
            var missing = handlers.Where(h => editor.GetValueText(layout.Runtime(h), "snapshotter") != snapshotter).ToList();
            findings.Add(missing.Count == 0
                ? new("containerd.snapshotter", DoctorStatus.Pass, $"runtime handlers {string.Join(", ", handlers)} use the guestpull snapshotter", string.Empty)
                : new("containerd.snapshotter", DoctorStatus.Fail, $"runtime handler(s) {string.Join(", ", missing)} do not set snapshotter = \"guestpull\"",
                    "guestpull install --runtime-specific sets them; then restart containerd"));
            CheckRuntimePlatforms(editor, layout, version, handlers, findings);
        }
        else
        {
            var global = editor.GetValueText(layout.ImageSettingsTable, "snapshotter");
            findings.Add(global == snapshotter
                ? new("containerd.snapshotter", DoctorStatus.Pass, "guestpull is containerd's global snapshotter", string.Empty)
                : new("containerd.snapshotter", DoctorStatus.Fail, $"the global snapshotter is {global ?? "unset (overlayfs)"}, not guestpull",
                    $"set snapshotter = \"guestpull\" in [{images}] (guestpull install does), or check with --runtime-specific if that is the intent"));
        }

        var runtimeType = editor.GetValueText(layout.Runtime(ContainerdConfigRequest.DefaultRuntimeHandler), "runtime_type");
        findings.Add(runtimeType == TomlDocumentEditor.Quote(ContainerdConfigRequest.DefaultRuntimeType)
            ? new("containerd.runtime", DoctorStatus.Pass, $"runtime handler guestpull runs {ContainerdConfigRequest.DefaultRuntimeType}", string.Empty)
            : new("containerd.runtime", DoctorStatus.Fail,
                $"runtime handler guestpull is {(runtimeType is null ? "not declared" : "of type " + runtimeType)}",
                $"declare [{ContainerdConfigPatcher.Header(layout.Runtime("guestpull"))}] runtime_type = \"{ContainerdConfigRequest.DefaultRuntimeType}\" (guestpull install does)"));
    }

    /// <summary>
    /// containerd 2.0-2.2 choose the snapshotter of a pod's image pull from the images service's
    /// <c>runtime_platforms.HANDLER</c> table only: without it CRI pulls into the host's snapshotter and later
    /// unpacks that host copy for the guest-pull pod. containerd 2.x reading a version 2 file migrates it
    /// without that table.
    /// </summary>
    private static void CheckRuntimePlatforms(
        TomlDocumentEditor editor, ContainerdConfigLayout layout, ContainerdVersion? version, IReadOnlyList<string> handlers, List<DoctorFinding> findings)
    {
        var snapshotter = TomlDocumentEditor.Quote(ContainerdConfigRequest.DefaultSnapshotterName);
        if (layout.RuntimePlatformsTable is null)
        {
            if (version?.IsAtLeast(ContainerdVersion.ConfigVersion3) == true)
            {
                findings.Add(new("containerd.runtime-platforms", DoctorStatus.Fail,
                    $"containerd {version} migrates this version 2 config when it loads it, and the migration leaves out the per-runtime snapshotter at image pull",
                    "containerd config migrate > new.toml, move it over the config, then guestpull install --runtime-specific"));
            }
            return;
        }
        if (version?.IsAtLeast(ContainerdVersion.RuntimeSnapshotterAtPull) == true)
        {
            return;
        }
        var missing = handlers.Where(h => editor.GetValueText(layout.RuntimePlatform(h)!, "snapshotter") != snapshotter).ToList();
        var who = version is null ? "containerd before 2.3" : $"containerd {version}";
        findings.Add(missing.Count == 0
            ? new("containerd.runtime-platforms", DoctorStatus.Pass, $"[{ContainerdConfigPatcher.Header(layout.RuntimePlatformsTable)}] sends the image pulls of {string.Join(", ", handlers)} to guestpull", string.Empty)
            : new("containerd.runtime-platforms", DoctorStatus.Fail,
                $"{string.Join(", ", missing.Select(h => $"[{ContainerdConfigPatcher.Header(layout.RuntimePlatform(h)!)}]"))} does not set snapshotter = \"guestpull\": " +
                $"{who} picks a pod's image pull snapshotter there, so CRI pulls into the host's snapshotter and unpacks that host copy for the guest-pull pod",
                "guestpull install --runtime-specific writes it (snapshotter = \"guestpull\" in each of those tables); then restart containerd"));
    }

    private static async Task CheckSnapshotterAsync(InstallOptions options, List<DoctorFinding> findings, CancellationToken cancellationToken)
    {
        var problem = await SnapshotterProbe.ProbeAsync(options.SnapshotterAddress, ContainerdConfigRequest.DefaultSnapshotterName, cancellationToken).ConfigureAwait(false);
        var how = options.EffectiveServiceMode == ServiceMode.Systemd
            ? $"systemctl status {SystemdUnit.Name}; journalctl -u {SystemdUnit.Name}"
            : $"see {StandaloneSnapshotter.LogFile(options)}; guestpull install --standalone starts it";
        findings.Add(problem is null
            ? new("snapshotter.socket", DoctorStatus.Pass, $"the snapshotter answers on {options.SnapshotterAddress}", string.Empty)
            : new("snapshotter.socket", DoctorStatus.Fail, $"the snapshotter does not answer: {problem}", how));
    }

    private static string? CheckShim(InstallOptions options, List<DoctorFinding> findings)
    {
        // containerd looks for containerd-shim-NAME-v2 on its PATH and beside its own binary.
        var directories = ContainerdSearchPath(options);
        if (FindOnPath("containerd", directories) is { } containerd)
        {
            directories.Add(Path.GetDirectoryName(containerd)!);
        }
        var shim = FindOnPath(BinaryInstaller.ShimName, directories);
        if (shim is not null)
        {
            findings.Add(new("runtime.shim", DoctorStatus.Pass, $"{BinaryInstaller.ShimName} found at {shim}", string.Empty));
            return shim;
        }
        var installed = Path.Combine(options.BinDirectory, BinaryInstaller.ShimName);
        findings.Add(new("runtime.shim", DoctorStatus.Fail,
            File.Exists(installed)
                ? $"{installed} exists but {options.BinDirectory} is not on the PATH containerd searches"
                : $"{BinaryInstaller.ShimName} is not on the PATH nor beside containerd: pods with handler guestpull cannot start",
            $"install it (guestpull install puts a link in {options.BinDirectory}) into a directory on containerd's PATH"));
        return null;
    }

    /// <summary>
    /// The guest image the shim boots by default is the one beside its own binary (after the links are
    /// followed: the one in bin/ points into the lib directory). Without a shim on containerd's PATH, the
    /// installed one, else the one beside this guestpull.
    /// </summary>
    private static GuestImageLayout GuestImageBesideShim(InstallOptions options, string? shim)
    {
        if (shim is null)
        {
            return Directory.Exists(options.LibDirectory)
                ? new GuestImageLayout(Path.Combine(options.LibDirectory, GuestImageLayout.DirectoryName))
                : GuestImageLayout.Default;
        }
        string target;
        try
        {
            target = File.ResolveLinkTarget(shim, returnFinalTarget: true)?.FullName ?? Path.GetFullPath(shim);
        }
        catch (IOException)
        {
            // A link loop: the shim cannot run either, and runtime.shim's users will find out; check beside the link.
            target = Path.GetFullPath(shim);
        }
        return new GuestImageLayout(Path.Combine(Path.GetDirectoryName(target)!, GuestImageLayout.DirectoryName));
    }

    // The running containerd's own PATH when it can be found: that is what it searches, not ours.
    private static List<string> ContainerdSearchPath(InstallOptions options) =>
        [.. (options.ShimSearchPath ?? ContainerdProcess.FindPath(options.ContainerdConfig) ?? Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>
    /// containerd mounts a guest-pull snapshot (type fuse.nydus-overlayfs) on the host during CRI's
    /// CreateContainer through mount.fuse, which runs the nydus-overlayfs helper; without either,
    /// every guest-pull container fails to be created.
    /// </summary>
    private static void CheckMountHelper(InstallOptions options, List<DoctorFinding> findings)
    {
        if (options.FsDriver != "proxy")
        {
            return;
        }

        var directories = ContainerdSearchPath(options);
        var fuse = FindOnPath("mount.fuse", [.. directories, "/sbin", "/usr/sbin"]);
        var helper = FindOnPath(BinaryInstaller.MountHelperName, directories);
        if (fuse is null)
        {
            findings.Add(new("runtime.mount-helper", DoctorStatus.Fail, "mount.fuse is missing: containerd cannot mount guest-pull snapshots (fuse.nydus-overlayfs) when it creates a container",
                "apt-get install fuse3"));
        }
        else if (helper is null)
        {
            findings.Add(new("runtime.mount-helper", DoctorStatus.Fail, $"{BinaryInstaller.MountHelperName} is not on containerd's PATH: mount.fuse cannot mount guest-pull snapshots when CRI creates a container",
                $"guestpull install links it into {options.BinDirectory}; put that directory on containerd's PATH"));
        }
        else
        {
            findings.Add(new("runtime.mount-helper", DoctorStatus.Pass, $"{fuse} and {helper} mount guest-pull snapshots on the host", string.Empty));
        }
    }

    private static async Task CheckHostImagesAsync(
        InstallOptions options, (TomlDocumentEditor Editor, ContainerdConfigLayout Layout)? config, ContainerdVersion? version, List<DoctorFinding> findings, CancellationToken cancellationToken)
    {
        if (version is null || !File.Exists(options.ContainerdAddress))
        {
            findings.Add(new("host.images", DoctorStatus.Warn, $"containerd is not answering on {options.ContainerdAddress}; host images not checked",
                "start containerd (or pass --containerd-address) and run doctor again"));
            return;
        }
        var host = await HostSnapshotterAsync(options, config, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<HostImage> images;
        try
        {
            using var client = new ContainerdClient(options.ContainerdAddress);
            images = await HostImageScanner.ScanAsync(client, options.ContainerdNamespace, host, cancellationToken).ConfigureAwait(false);
        }
        catch (InstallException ex)
        {
            findings.Add(new("host.images", DoctorStatus.Warn, ex.Message, "check containerd's log"));
            return;
        }
        var sandboxImage = SandboxImage(options);
        string Describe(HostImage image) =>
            sandboxImage is not null && image.Names.Any(name => HostImagePurger.Matches(name, sandboxImage)) ? image.Name + " (the sandbox image)" : image.Name;
        string Purge(IEnumerable<HostImage> some) =>
            $"guestpull install{(options.RuntimeSpecific ? " --runtime-specific" : string.Empty)} --purge-host-images {string.Join(' ', some.Select(image => image.Name))}";

        var unpacked = images.Where(image => image.UnpackedOnHost).ToList();
        if (unpacked.Count == 0)
        {
            findings.Add(new("host.images", DoctorStatus.Pass, $"no image unpacked for {host} in namespace {options.ContainerdNamespace}", string.Empty));
        }
        else
        {
            var message = $"{unpacked.Count} image(s) unpacked on the host for {host} in namespace {options.ContainerdNamespace}: {string.Join(", ", unpacked.Select(Describe))}. " +
                (options.RuntimeSpecific
                    ? "CRI treats them as present; a guest-pull pod of one gets a snapshot chain the host unpacked (the snapshotter then pulls in the guest anyway)"
                    : "CRI treats them as present, so they are not pulled through GuestPull");
            findings.Add(new("host.images", options.RuntimeSpecific ? DoctorStatus.Warn : DoctorStatus.Fail, message,
                $"delete them{(options.RuntimeSpecific ? " unless runc pods need them" : " before switching")}: {Purge(unpacked)} (or --purge-all-host-images)"));
        }

        if (!options.RuntimeSpecific)
        {
            // One snapshotter for every pod: every image a CRI pull recorded lacks its layer blobs by design.
            return;
        }
        var lacking = images.Where(image => image.LacksLayerBlobs && !image.UnpackedOnHost).ToList();
        findings.Add(lacking.Count == 0
            ? new("host.image-blobs", DoctorStatus.Pass, $"every image in namespace {options.ContainerdNamespace} a runc pod could use has its layer blobs", string.Empty)
            : new("host.image-blobs", DoctorStatus.Warn,
                $"containerd holds {string.Join(", ", lacking.Select(Describe))} without their layer blobs (a guest-pull pod's pull fetched the layers in the guest): " +
                $"a runc pod of one finds it present, skips the pull and fails to unpack it into {host} (content digest not found)",
                $"if a runc pod needs one, delete it so the next pull fetches it whole: {Purge(lacking)}"));
    }

    /// <summary>The snapshotter that unpacks images on the host: what containerd used before GuestPull (global mode) or still uses for other runtimes.</summary>
    private static async Task<string> HostSnapshotterAsync(
        InstallOptions options, (TomlDocumentEditor Editor, ContainerdConfigLayout Layout)? config, CancellationToken cancellationToken)
    {
        const string Default = "overlayfs";
        if (config is not { } c)
        {
            return Default;
        }
        var editor = c.Editor;
        if (!options.RuntimeSpecific)
        {
            // The snapshotter before GuestPull's: what the install backup (or containerd's default) names.
            var backup = options.ContainerdConfigBackup;
            if (!File.Exists(backup))
            {
                return Default;
            }
            try
            {
                editor = ContainerdConfigPatcher.Open(await File.ReadAllTextAsync(backup, cancellationToken).ConfigureAwait(false), backup);
            }
            catch (InstallException)
            {
                return Default; // A damaged backup: containerd's default.
            }
        }
        var name = editor.GetValueText(c.Layout.ImageSettingsTable, "snapshotter")?.Trim('"', '\'');
        return name is { Length: > 0 } && name != ContainerdConfigRequest.DefaultSnapshotterName ? name : Default;
    }

    private static string? SandboxImage(InstallOptions options)
    {
        try
        {
            return File.Exists(options.ContainerdConfig) ? ContainerdHost.SandboxImage(File.ReadAllText(options.ContainerdConfig), options.ContainerdConfig) : null;
        }
        catch (InstallException)
        {
            return null;
        }
    }

    private static string? FindOnPath(string name, IEnumerable<string> directories) =>
        directories.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
