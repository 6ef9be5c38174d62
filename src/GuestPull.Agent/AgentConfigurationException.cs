namespace GuestPull.Agent;

/// <summary>The agent's configuration is unreadable or holds a value it cannot honour; the message names the key.</summary>
public sealed class AgentConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AgentConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public AgentConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
