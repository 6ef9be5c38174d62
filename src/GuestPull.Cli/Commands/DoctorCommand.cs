using System.CommandLine;
using System.Text.Json;
using GuestPull.Install.Doctor;

namespace GuestPull.Cli.Commands;

/// <summary><c>guestpull doctor</c>: PASS/WARN/FAIL with a fix for each; exits 1 on any FAIL.</summary>
internal static class DoctorCommand
{
    public static Command Build(GlobalOptions global)
    {
        var locations = new InstallLocationOptions();
        var format = new Option<string>("--format") { Description = "text or json", HelpName = "FORMAT", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("doctor", "Check this node for what guest pull needs (containerd config, snapshotter, shim, sandbox VM, filesystem, host images)");
        locations.AddTo(command);
        command.Options.Add(format);
        global.AddTo(command);
        command.SetAction((result, ct) => CommandRunner.RunAsync(result, global, async (_, token) =>
        {
            var report = await GuestPullDoctor.RunAsync(locations.Read(result), token).ConfigureAwait(false);
            if (result.GetValue(format) == "json")
            {
                await Console.Out.WriteLineAsync(ToJson(report)).ConfigureAwait(false);
            }
            else
            {
                foreach (var finding in report.Findings)
                {
                    var status = finding.Status.ToString().ToUpperInvariant();
                    await Console.Out.WriteLineAsync($"{status,-4}  {finding.Check,-24} {finding.Message}").ConfigureAwait(false);
                    if (finding.Fix.Length > 0)
                    {
                        await Console.Out.WriteLineAsync($"{string.Empty,-30}fix: {finding.Fix}").ConfigureAwait(false);
                    }
                }
            }
            return report.HasFailures ? CommandRunner.ExitFailure : 0;
        }, ct));
        return command;
    }

    private static string ToJson(DoctorReport report)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteBoolean("ok", !report.HasFailures);
            json.WriteStartArray("checks");
            foreach (var finding in report.Findings)
            {
                json.WriteStartObject();
                json.WriteString("check", finding.Check);
                json.WriteString("status", finding.Status.ToString().ToUpperInvariant());
                json.WriteString("message", finding.Message);
                json.WriteString("fix", finding.Fix);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
