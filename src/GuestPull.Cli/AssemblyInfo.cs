using System.Runtime.Versioning;

// guestpull manages Linux containers: overlayfs, mounts, namespaces. It runs on Linux only.
[assembly: SupportedOSPlatform("linux")]
