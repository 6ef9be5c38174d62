namespace GuestPull.Install;

/// <summary>
/// An install, uninstall or doctor step that cannot go on: the message names the file, the setting or
/// the service at fault and what to do about it.
/// </summary>
public sealed class InstallException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InstallException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public InstallException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
