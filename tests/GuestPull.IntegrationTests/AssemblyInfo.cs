using System.Runtime.Versioning;

// The integration tests drive Linux-only components (overlayfs, runc, containerd).
[assembly: SupportedOSPlatform("linux")]
