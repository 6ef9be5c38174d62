using GuestPull.Testing.Cri;

namespace GuestPull.IntegrationTests.Cri.Releases;

/// <summary>Undoing the node's <c>guestpull install --config-only</c> on a copy of its config gives back the fixture's original, byte for byte.</summary>
internal static class UninstallRestores
{
    public static async Task CheckAsync(CriNode node)
    {
        Assert.NotNull(node.ConfigBeforeInstall);
        var config = node.Containerd.Layout.ConfigPath;
        var before = await File.ReadAllBytesAsync(config);
        var backup = config + ".bak.guestpull";
        var backupBytes = File.Exists(backup) ? await File.ReadAllBytesAsync(backup) : null;
        try
        {
            var uninstall = await node.RunGuestPullAsync(
                ["uninstall", "--config-only", .. node.InstallLocationArguments(config, node.Work.Combine("snapshotter.sock"))], CancellationToken.None);
            Assert.True(uninstall.Succeeded, uninstall.StandardOutput + uninstall.StandardError);
            Assert.Equal(node.ConfigBeforeInstall, await File.ReadAllTextAsync(config));
        }
        finally
        {
            // The node keeps running on the installed config; put it and the install record's backup back.
            await File.WriteAllBytesAsync(config, before);
            if (backupBytes is not null)
            {
                await File.WriteAllBytesAsync(backup, backupBytes);
            }
        }
    }
}
