namespace GuestPull.Install.Containerd;

/// <summary>
/// One image containerd holds under one repository: the records of that repository that point at the same
/// manifest (CRI keeps a tag and a digest reference; its bare <c>sha256:</c> ID goes with them when purged).
/// </summary>
/// <param name="Names">Its record names, tag references first, then digest references (an ID only when nothing else names the image).</param>
/// <param name="UnpackedOnHost">Its top layer's ChainID is a snapshot of the host's snapshotter: containerd unpacked it on the host.</param>
/// <param name="LacksLayerBlobs">
/// containerd holds the record without some of its blobs (a proxy pull fetched the layers in a guest), so the
/// host's snapshotter cannot unpack it: a runc pod of it fails until the image is pulled again.
/// </param>
internal sealed record HostImage(IReadOnlyList<string> Names, bool UnpackedOnHost, bool LacksLayerBlobs)
{
    /// <summary>The name a person would type: the first tag reference, else the first name.</summary>
    public string Name => Names[0];
}
