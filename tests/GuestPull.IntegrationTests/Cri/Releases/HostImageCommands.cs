using System.Text.Json;
using GuestPull.Testing.Cri;

namespace GuestPull.IntegrationTests.Cri.Releases;

/// <summary>
/// <c>guestpull doctor</c> and <c>guestpull install --config-only --purge-host-images</c> on a running node,
/// as an operator runs them: the CLI, pointed at the node's config and its live containerd.
/// </summary>
internal sealed class HostImageCommands(CriNode node, IReadOnlyList<string> installArguments)
{
    public sealed record Finding(string Status, string Message, string Fix);

    /// <summary>Runs doctor (it exits 1 on any FAIL, which other checks on a test node may give) and returns one finding.</summary>
    public async Task<Finding> DoctorAsync(string check, CancellationToken token)
    {
        var doctor = await node.RunGuestPullAsync(["doctor", "--format", "json", .. installArguments, .. Locations()], token);
        Assert.True(doctor.StandardOutput.TrimStart().StartsWith('{'), $"doctor printed no report ({doctor.ExitCode}):\n{doctor.StandardOutput}\n{doctor.StandardError}");
        using var report = JsonDocument.Parse(doctor.StandardOutput);
        var found = report.RootElement.GetProperty("checks").EnumerateArray().Where(c => c.GetProperty("check").GetString() == check).ToList();
        Assert.True(found.Count == 1, $"doctor has no single {check} finding:\n{doctor.StandardOutput}");
        var finding = found[0];
        return new Finding(finding.GetProperty("status").GetString()!, finding.GetProperty("message").GetString()!, finding.GetProperty("fix").GetString()!);
    }

    /// <summary><c>guestpull install --config-only --purge-host-images IMAGES</c>: the node's config is already installed, so only the purge changes anything.</summary>
    public async Task PurgeAsync(IReadOnlyList<string> images, CancellationToken token)
    {
        var purge = await node.RunGuestPullAsync(["install", "--config-only", .. installArguments, .. Locations(), "--purge-host-images", .. images], token);
        Assert.True(purge.Succeeded, $"install --purge-host-images failed ({purge.ExitCode}):\n{purge.StandardOutput}\n{purge.StandardError}");
        Assert.Contains("deleted", purge.StandardOutput + purge.StandardError, StringComparison.Ordinal);
    }

    private IReadOnlyList<string> Locations() =>
        ["--containerd-config", node.Containerd.Layout.ConfigPath, "--containerd-address", node.Containerd.GrpcAddress,
         "--snapshotter-address", node.Work.Combine("snapshotter.sock"), "--prefix", node.InstallPrefix];
}
