using GuestPull.Oci.Model;

namespace GuestPull.Agent.Storage;

/// <summary>An image ready in the store: its config and its layer directories, base first.</summary>
internal sealed record GuestImage(ImageConfig Config, IReadOnlyList<string> LayerDirectories, bool FromCache);
