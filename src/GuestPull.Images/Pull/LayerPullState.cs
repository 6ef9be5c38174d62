namespace GuestPull.Images.Pull;

/// <summary>Where one layer of a pull stands.</summary>
public enum LayerPullState
{
    /// <summary>Waiting for a download slot.</summary>
    Waiting,

    /// <summary>Streaming from the registry into the store.</summary>
    Downloading,

    /// <summary>Already in the store; nothing was downloaded.</summary>
    Cached,

    /// <summary>Downloaded, verified and committed to the store.</summary>
    Done,

    /// <summary>Failed; the pull fails with it.</summary>
    Failed,
}
