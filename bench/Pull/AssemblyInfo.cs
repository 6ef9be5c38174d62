using System.Runtime.Versioning;

// The benchmark drives Linux-only tools and mounts (overlayfs, containerd, runc).
[assembly: SupportedOSPlatform("linux")]
