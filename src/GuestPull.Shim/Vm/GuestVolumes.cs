using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using GuestPull.Api.Agent;
using GuestPull.Shim.Rootfs;

namespace GuestPull.Shim.Vm;

/// <summary>
/// A VM's answer to the spec's host bind mounts (Kata's shared_fs = "none"): files kubelet and CRI made
/// are copied in through the agent's CopyFile, scratch directories become directories in guest memory
/// shared by the pod's containers, and a host path is refused. Mount sources are rewritten to the guest
/// paths below <see cref="Root"/>.
/// </summary>
internal static class GuestVolumes
{
    /// <summary>The agent's copy root (Kata's CONTAINER_BASE).</summary>
    public const string Root = "/run/kata-containers/shared/containers";

    private const long MaxCopiedBytes = 64L << 20;
    private static readonly string[] KernelPaths = ["/proc", "/sys", "/dev"];

    public static async Task CopyAsync(JsonObject spec, string containerId, string sandboxId, AgentClient agent, CancellationToken cancellationToken)
    {
        if (spec["mounts"] is not JsonArray mounts)
        {
            return;
        }

        var index = 0;
        foreach (var mount in mounts.OfType<JsonObject>())
        {
            index++;
            var type = mount["type"]?.GetValue<string>();
            var options = mount["options"] is JsonArray array ? array.Select(option => option?.GetValue<string>() ?? string.Empty).ToList() : [];
            var source = mount["source"]?.GetValue<string>();
            var destination = mount["destination"]?.GetValue<string>() ?? "?";
            if (!MountOptions.IsBind(type, options) || string.IsNullOrEmpty(source) || !Path.IsPathRooted(source)
                || KernelPaths.Any(prefix => source == prefix || source.StartsWith(prefix + "/", StringComparison.Ordinal)))
            {
                continue;
            }

            var isDirectory = Directory.Exists(source);
            if (!isDirectory && !File.Exists(source))
            {
                throw new ShimException($"container {containerId}: the mount source {source} (for {destination}) does not exist on the host");
            }

            var name = Path.GetFileName(source.TrimEnd('/'));
            string guestPath;
            switch (HostVolumeClassifier.Classify(source, sandboxId, isDirectory))
            {
                case HostVolumeKind.CopiedFile:
                    guestPath = $"{Root}/{containerId}-{index}-{name}";
                    await agent.CopyFileAsync(guestPath, await ReadAsync(source, cancellationToken).ConfigureAwait(false), FileMode(source), cancellationToken).ConfigureAwait(false);
                    break;
                case HostVolumeKind.CopiedDirectory:
                    guestPath = $"{Root}/{containerId}-{index}-{name}";
                    await CopyTreeAsync(agent, source, guestPath, cancellationToken).ConfigureAwait(false);
                    break;
                case HostVolumeKind.GuestMemory:
                    // Named by the host source, so every container of the pod mounting it sees the same directory.
                    guestPath = $"{Root}/sandbox-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source)))[..16]}-{name}";
                    await agent.CreateDirectoryAsync(guestPath, name == "shm" ? (UnixFileMode)0b1_111_111_111 : (UnixFileMode)0b111_111_111, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    throw new ShimException(
                        $"container {containerId}: the host path {source} mounted at {destination} cannot be used: a VM sandbox shares no host directory with the guest "
                        + "(Kata's shared_fs = \"none\"); use an emptyDir, configMap or secret volume instead");
            }

            mount["source"] = guestPath;
        }
    }

    // configMap, secret, projected and downwardAPI directories: kubelet's visible names are symlinks into
    // a timestamped directory (..data); the guest gets the files they point at, flat.
    private static async Task CopyTreeAsync(AgentClient agent, string source, string guestPath, CancellationToken cancellationToken)
    {
        await agent.CreateDirectoryAsync(guestPath, (UnixFileMode)0b111_101_101, cancellationToken).ConfigureAwait(false);
        long total = 0;
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos().Where(e => !e.Name.StartsWith("..", StringComparison.Ordinal)).OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var target = $"{guestPath}/{entry.Name}";
            if (Directory.Exists(entry.FullName))
            {
                await CopyTreeAsync(agent, entry.FullName, target, cancellationToken).ConfigureAwait(false);
            }
            else if (File.Exists(entry.FullName))
            {
                var content = await ReadAsync(entry.FullName, cancellationToken).ConfigureAwait(false);
                total += content.Length;
                if (total > MaxCopiedBytes)
                {
                    throw new ShimException($"the volume {source} holds more than {MaxCopiedBytes} bytes, too much to copy into the guest");
                }

                await agent.CopyFileAsync(target, content, FileMode(entry.FullName), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task<byte[]> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var length = new FileInfo(path).Length;
        return length > MaxCopiedBytes
            ? throw new ShimException($"{path} is {length} bytes, too much to copy into the guest")
            : await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
    }

    private static UnixFileMode FileMode(string path) => File.GetUnixFileMode(path);
}
