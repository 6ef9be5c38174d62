using System.Runtime.Versioning;

// The agent runs inside a Linux guest only: runc, overlayfs, unix sockets.
[assembly: SupportedOSPlatform("linux")]
