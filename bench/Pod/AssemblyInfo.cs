using System.Runtime.Versioning;

// The benchmark drives Linux-only parts (containerd, runc, overlayfs, namespaces).
[assembly: SupportedOSPlatform("linux")]
