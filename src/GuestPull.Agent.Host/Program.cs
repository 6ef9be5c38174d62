using GuestPull.Agent.Host;

return await AgentProgram.RunAsync(args).ConfigureAwait(false);
