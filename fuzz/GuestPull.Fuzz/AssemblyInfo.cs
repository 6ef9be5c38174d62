using System.Runtime.Versioning;

// The parsers under test belong to Linux-only components (agent, shim, unpacker), and afl-fuzz runs on Linux.
[assembly: SupportedOSPlatform("linux")]
