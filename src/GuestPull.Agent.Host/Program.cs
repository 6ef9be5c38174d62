using System.CommandLine;
using GuestPull.Agent.ConfidentialDataHub;
using GuestPull.Agent.Hosting;
using GuestPull.Cli.Hosting;

// Run under the name confidential-data-hub (a symlink in the guest image), the executable is Kata's CDH
// image service; kata-agent starts it by that path with -c cdh.toml.
if (Path.GetFileName(Environment.GetCommandLineArgs()[0]) == CdhCommandLine.ProgramName)
{
    var cdh = new RootCommand(CdhCommandLine.ProgramName + ": " + CdhCommandLine.Description);
    CdhCommandLine.Configure(cdh, CdhCommandLine.ProgramName, CliLogging.CreateForDaemon);
    return await cdh.Parse(args).InvokeAsync().ConfigureAwait(false);
}

var root = new RootCommand("guestpull-agent: " + AgentCommandLine.Description);
AgentCommandLine.Configure(root, "guestpull-agent", CliLogging.CreateForDaemon);
var cdhCommand = new Command("cdh", CdhCommandLine.Description);
CdhCommandLine.Configure(cdhCommand, "guestpull-agent cdh", CliLogging.CreateForDaemon);
root.Subcommands.Add(cdhCommand);
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
