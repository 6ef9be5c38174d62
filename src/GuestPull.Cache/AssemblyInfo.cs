using System.Runtime.Versioning;

// The cache is a Linux node daemon: Unix file modes, systemd notification.
[assembly: SupportedOSPlatform("linux")]
