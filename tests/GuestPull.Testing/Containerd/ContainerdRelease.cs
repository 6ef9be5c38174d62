namespace GuestPull.Testing.Containerd;

/// <summary>
/// One containerd release the tests can start: the machine's own (Debian 12's 1.6, on PATH) or one of the
/// Debian packages scripts/fetch-containerd.sh unpacks into the cache (trixie's 1.7, sid's 2.1).
/// </summary>
/// <param name="Version">The upstream version, e.g. <c>1.7.24</c>.</param>
/// <param name="BinDirectory">The directory holding <c>containerd</c>, <c>ctr</c> and <c>containerd-shim-runc-v2</c>; null for the binaries on PATH.</param>
public sealed record ContainerdRelease(string Version, string? BinDirectory)
{
    /// <summary>Debian 12's containerd (1.6), found on PATH.</summary>
    public static ContainerdRelease OnPath { get; } = new("1.6", null);

    /// <summary>The major version: 1 (config version 2) or 2 (config version 3).</summary>
    public int Major => int.Parse(Version.Split('.')[0], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The config schema this release writes by default: 2 for 1.x, 3 for 2.x.</summary>
    public int ConfigVersion => Major >= 2 ? 3 : 2;

    /// <summary>The containerd binary.</summary>
    public string ContainerdPath => BinDirectory is null ? "containerd" : Path.Combine(BinDirectory, "containerd");

    /// <summary>The ctr binary of the same release.</summary>
    public string CtrPath => BinDirectory is null ? "ctr" : Path.Combine(BinDirectory, "ctr");

    /// <inheritdoc />
    public override string ToString() => "containerd " + Version;
}
