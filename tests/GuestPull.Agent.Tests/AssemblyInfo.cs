using System.Runtime.Versioning;

// The agent and these tests need Linux and root: runc, overlayfs, unix sockets.
[assembly: SupportedOSPlatform("linux")]
