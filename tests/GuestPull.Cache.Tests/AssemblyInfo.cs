using System.Runtime.Versioning;

// The cache is a Linux node daemon; so are its tests.
[assembly: SupportedOSPlatform("linux")]
