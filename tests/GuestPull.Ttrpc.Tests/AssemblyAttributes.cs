using System.Runtime.Versioning;

// The tests use unix sockets, the Linux fixtures of GuestPull.Testing and containerd.
[assembly: SupportedOSPlatform("linux")]
