namespace GuestPull.Agent.Tests.Support;

/// The tests that drive the agent share one registry and one agent, and run one at a time.
[CollectionDefinition(Name)]
public sealed class AgentCollection : ICollectionFixture<AgentEnvironment>
{
    public const string Name = "agent";
}
