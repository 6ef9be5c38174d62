using System.Text.RegularExpressions;

namespace GuestPull.Shim.Vm;

/// <summary>
/// Sorts a container's bind-mount sources by where kubelet and containerd's CRI put them: under the
/// pod's CRI sandbox directory (<c>…/sandboxes/&lt;pod id&gt;/</c>), under kubelet's pod directory
/// (<c>…/pods/&lt;uid&gt;/</c>), or under CRI's container directory for image volumes. Everything else
/// is the host's own file system, which a VM sandbox does not share.
/// </summary>
internal static partial class HostVolumeClassifier
{
    public static HostVolumeKind Classify(string source, string sandboxId, bool isDirectory)
    {
        if (source.Contains($"/sandboxes/{sandboxId}/", StringComparison.Ordinal))
        {
            return isDirectory ? HostVolumeKind.GuestMemory : HostVolumeKind.CopiedFile;
        }

        var kubelet = KubeletVolume().Match(source);
        if (kubelet.Success)
        {
            return kubelet.Groups["kind"].Value switch
            {
                "empty-dir" => HostVolumeKind.GuestMemory,
                "configmap" or "secret" or "projected" or "downward-api" => HostVolumeKind.CopiedDirectory,
                _ => HostVolumeKind.Refused,
            };
        }

        if (KubeletFile().IsMatch(source))
        {
            return isDirectory ? HostVolumeKind.Refused : HostVolumeKind.CopiedFile;
        }

        return isDirectory && CriImageVolume().IsMatch(source) ? HostVolumeKind.GuestMemory : HostVolumeKind.Refused;
    }

    // kubelet: <root>/pods/<uid>/volumes/kubernetes.io~<kind>/<name>
    [GeneratedRegex(@"/pods/[0-9a-fA-F-]{8,}/volumes/kubernetes\.io~(?<kind>[a-z-]+)/[^/]+/?$")]
    private static partial Regex KubeletVolume();

    // kubelet: <root>/pods/<uid>/etc-hosts and <root>/pods/<uid>/containers/<name>/<id> (the termination log)
    [GeneratedRegex(@"/pods/[0-9a-fA-F-]{8,}/(etc-hosts|containers/[^/]+/[^/]+)$")]
    private static partial Regex KubeletFile();

    // containerd CRI: <root>/io.containerd.grpc.v1.cri/containers/<id>/volumes/<hash> (an image's VOLUME)
    [GeneratedRegex(@"/io\.containerd\.grpc\.v1\.cri/containers/[0-9a-f]{64}/volumes/[^/]+/?$")]
    private static partial Regex CriImageVolume();
}
