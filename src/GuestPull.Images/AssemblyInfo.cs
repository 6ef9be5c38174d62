using System.Runtime.Versioning;

// The image service runs inside a Linux guest only: overlayfs, openat2, flock, device nodes.
[assembly: SupportedOSPlatform("linux")]
