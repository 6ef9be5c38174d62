namespace GuestPull.Agent.Containers;

/// <summary>A runc command failed; the message holds runc's own words.</summary>
internal sealed class RuncException : Exception
{
    public RuncException(string message)
        : base(message)
    {
    }
}
