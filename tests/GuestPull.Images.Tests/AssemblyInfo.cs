using System.Runtime.Versioning;

// The image service and these tests need Linux (overlayfs, device nodes, xattrs) and root.
[assembly: SupportedOSPlatform("linux")]
