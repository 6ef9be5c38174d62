using System.Text;
using GuestPull.Agent;
using GuestPull.Agent.Configuration;

namespace GuestPull.Fuzz.Targets;

/// <summary>The agent's config parser on a TOML text. Rejection: <see cref="AgentConfigurationException"/>.</summary>
internal static class AgentTomlTarget
{
    public static void Run(byte[] input) =>
        Rejection.Expect<AgentConfigurationException>(() => AgentConfigParser.Parse(Encoding.UTF8.GetString(input), "agent.toml"));
}
