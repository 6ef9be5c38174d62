using System.Runtime.Versioning;

// Everything here drives Linux system calls and needs root (mknod, chown, trusted.* xattrs, mount).
[assembly: SupportedOSPlatform("linux")]
