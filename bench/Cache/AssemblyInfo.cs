using System.Runtime.Versioning;

// The benchmark unpacks layers and runs the Linux-only node cache.
[assembly: SupportedOSPlatform("linux")]
