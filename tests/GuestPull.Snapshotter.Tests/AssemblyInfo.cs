using System.Runtime.Versioning;

// The snapshotter and these tests are Linux-only (unix sockets, file modes, overlayfs).
[assembly: SupportedOSPlatform("linux")]
