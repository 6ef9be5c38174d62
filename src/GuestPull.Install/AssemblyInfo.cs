using System.Runtime.Versioning;

// The installer edits a Linux host: containerd, systemd, unix sockets, file modes.
[assembly: SupportedOSPlatform("linux")]
