using System.Text;
using GuestPull.Shim.Configuration;

namespace GuestPull.Shim.Vm;

/// <summary>
/// What the host hands the guest at boot, as Kata's initdata: the agent's settings and every file they
/// name, packed as a cpio archive the kernel unpacks over the base initramfs. The agent's file keys are
/// read on the host and rewritten to their copies under <see cref="Directory"/>; the registries'
/// certificate directories are copied to their usual paths. Nothing of the host is shared later.
/// </summary>
internal static class GuestInitData
{
    /// <summary>Where the guest's /init looks for the agent's settings.</summary>
    public const string AgentConfigPath = "/etc/guestpull/agent.toml";

    /// <summary>Where the files the settings name are put.</summary>
    public const string Directory = "/etc/guestpull/initdata";

    /// <summary>QEMU user networking's gateway: the host side, whose loopback it reaches.</summary>
    public const string UserNetworkGateway = "10.0.2.2";

    /// <summary>The most the archive may hold; initdata is settings, not data.</summary>
    public const long MaxBytes = 16L << 20;

    private static readonly string[] CertificateDirectories = ["/etc/containers/certs.d", "/etc/docker/certs.d"];

    private static readonly UnixFileMode ReadOnlyMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private static readonly UnixFileMode SecretMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Builds the archive.</summary>
    /// <param name="config">The shim config whose [agent] table becomes the guest agent's.</param>
    /// <param name="hostNetwork">True when the pod has the node's network: registries on the node's loopback are reached through the gateway.</param>
    /// <param name="certificateDirectories">The host's certs.d directories to copy (null: containers' and docker's).</param>
    public static byte[] Build(ShimConfig config, bool hostNetwork, IReadOnlyList<string>? certificateDirectories = null)
    {
        var archive = new CpioArchiveWriter();
        var entries = new List<KeyValuePair<string, object>>();
        foreach (var (key, value) in config.AgentEntries)
        {
            switch (key)
            {
                // The guest never takes a rootfs from the host.
                case "host_rootfs_root":
                    break;
                case "registries_conf" or "policy":
                    entries.Add(new(key, CopyFile(archive, key, (string)value, ReadOnlyMode)));
                    break;
                case "auth_file":
                    entries.Add(new(key, CopyFile(archive, key, (string)value, SecretMode)));
                    break;
                case "ocicrypt_keyprovider_config":
                    entries.Add(new(key, CopyFile(archive, key, (string)value, ReadOnlyMode)));
                    break;
                // The node's loopback is not the guest's: the cache is reached through the VM's gateway.
                case "node_cache":
                    entries.Add(new(key, GuestNodeCache.Resolve((string)value).GuestAddress));
                    break;
                case "decryption_keys":
                    entries.Add(new(key, CopyKeys(archive, key, (IReadOnlyList<string>)value)));
                    break;
                case "registries_d":
                    entries.Add(new(key, CopyDirectory(archive, key, (string)value, $"{Directory}/registries.d", 1)));
                    break;
                default:
                    entries.Add(new(key, value));
                    break;
            }
        }

        if (!entries.Any(entry => entry.Key == "runc_root"))
        {
            entries.Add(new("runc_root", ShimConfigParser.SandboxRuncRoot));
        }

        if (hostNetwork && !entries.Any(entry => entry.Key == "loopback_gateway"))
        {
            entries.Add(new("loopback_gateway", UserNetworkGateway));
        }

        foreach (var directory in certificateDirectories ?? CertificateDirectories)
        {
            if (System.IO.Directory.Exists(directory))
            {
                _ = CopyDirectory(archive, "certificates", directory, directory, 2);
            }
        }

        // Owner-only: the table may carry a decryption key's password.
        archive.AddFile(AgentConfigPath, Encoding.UTF8.GetBytes("# the shim's [agent] table, handed to the guest at boot\n" + ShimConfigParser.RenderEntries(entries)), SecretMode);
        var bytes = archive.Finish();
        return bytes.LongLength <= MaxBytes
            ? bytes
            : throw new ShimException($"the guest's initdata (agent settings and the files they name) is {bytes.LongLength} bytes, more than the {MaxBytes} allowed; check registries_d and the certs.d directories");
    }

    // Each entry is PATH[:PASSWORD] (skopeo's --decryption-key); the key file goes in as a secret, each
    // in its own directory so two keys of one name stay apart, and the password stays with its entry.
    private static List<string> CopyKeys(CpioArchiveWriter archive, string key, IReadOnlyList<string> entries)
    {
        var copied = new List<string>();
        for (var i = 0; i < entries.Count; i++)
        {
            var colon = entries[i].IndexOf(':', StringComparison.Ordinal);
            var hostPath = colon < 0 ? entries[i] : entries[i][..colon];
            var guestPath = CopyFile(archive, $"{key}/{i}", hostPath, SecretMode);
            copied.Add(colon < 0 ? guestPath : guestPath + entries[i][colon..]);
        }

        return copied;
    }

    private static string CopyFile(CpioArchiveWriter archive, string key, string hostPath, UnixFileMode mode)
    {
        var guestPath = $"{Directory}/{key}/{Path.GetFileName(hostPath)}";
        archive.AddFile(guestPath, ReadHostFile(key, hostPath), mode);
        return guestPath;
    }

    // Copies regular files (symlinks followed, as the agent on the host would read them) down to depth levels.
    private static string CopyDirectory(CpioArchiveWriter archive, string key, string hostPath, string guestPath, int depth)
    {
        if (!System.IO.Directory.Exists(hostPath))
        {
            throw new ShimException($"[agent] {key}: the directory {hostPath} does not exist on the host, so it cannot be handed to the guest");
        }

        archive.AddDirectory(guestPath, (UnixFileMode)0b111_101_101);
        foreach (var entry in new DirectoryInfo(hostPath).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var target = $"{guestPath}/{entry.Name}";
            if (System.IO.Directory.Exists(entry.FullName))
            {
                if (depth > 1)
                {
                    _ = CopyDirectory(archive, key, entry.FullName, target, depth - 1);
                }
            }
            else if (File.Exists(entry.FullName))
            {
                archive.AddFile(target, ReadHostFile(key, entry.FullName), entry.Name.EndsWith(".key", StringComparison.Ordinal) ? SecretMode : ReadOnlyMode);
            }

            if (archive.Length > MaxBytes)
            {
                throw new ShimException($"[agent] {key}: {hostPath} holds more than the {MaxBytes} bytes the guest's initdata may carry");
            }
        }

        return guestPath;
    }

    private static byte[] ReadHostFile(string key, string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists && info.Length > MaxBytes
                ? throw new ShimException($"[agent] {key}: {path} is {info.Length} bytes, more than the guest's initdata may carry")
                : File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ShimException($"[agent] {key}: cannot read {path} to hand it to the guest: {ex.Message}", ex);
        }
    }
}
