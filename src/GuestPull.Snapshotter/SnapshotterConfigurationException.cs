namespace GuestPull.Snapshotter;

/// <summary>The snapshotter's configuration (file or flags) is invalid; the message names the key and the problem.</summary>
public sealed class SnapshotterConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SnapshotterConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public SnapshotterConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public SnapshotterConfigurationException()
        : base("invalid snapshotter configuration")
    {
    }
}
