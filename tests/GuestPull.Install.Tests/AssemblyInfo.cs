using System.Runtime.Versioning;

// The installer only runs on Linux; its tests start containerd and edit real files.
[assembly: SupportedOSPlatform("linux")]
