namespace GuestPull.Shim.Vm;

/// <summary>What a bind mount's host source is, as far as a VM sandbox (which shares no host directory) is concerned.</summary>
internal enum HostVolumeKind
{
    /// <summary>A file kubelet or CRI made for the container (resolv.conf, hostname, hosts, termination log): copied in.</summary>
    CopiedFile,

    /// <summary>A directory whose content kubelet made (configMap, secret, projected, downwardAPI): copied in.</summary>
    CopiedDirectory,

    /// <summary>Scratch space that starts empty (the pod's /dev/shm, emptyDir, an image's VOLUME): a directory in guest memory, one per pod and source.</summary>
    GuestMemory,

    /// <summary>Anything else, such as a hostPath volume: refused.</summary>
    Refused,
}
