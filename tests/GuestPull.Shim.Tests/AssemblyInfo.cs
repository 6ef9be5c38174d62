using System.Runtime.Versioning;

// The shim is Linux only (namespaces, mounts, unix sockets), and so are its tests.
[assembly: SupportedOSPlatform("linux")]
