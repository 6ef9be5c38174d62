using System.Runtime.Versioning;

// The shim drives Linux namespaces, mounts and unix sockets on a Linux host.
[assembly: SupportedOSPlatform("linux")]
