namespace GuestPull.Install.Containerd;

/// <summary>One image record of containerd's Images service.</summary>
/// <param name="Name">The record's name: a tag reference, a digest reference, or CRI's <c>sha256:</c> image ID.</param>
/// <param name="TargetDigest">The digest of the manifest or index it points at.</param>
/// <param name="TargetMediaType">That manifest's or index's media type.</param>
internal sealed record ContainerdImage(string Name, string TargetDigest, string TargetMediaType);
