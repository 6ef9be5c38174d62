using System.CommandLine;
using GuestPull.Agent.Hosting;
using GuestPull.Cli.Hosting;

var root = new RootCommand("guestpull-agent: " + AgentCommandLine.Description);
AgentCommandLine.Configure(root, "guestpull-agent", CliLogging.CreateForDaemon);
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
