using System.Globalization;
using System.Text.RegularExpressions;

namespace GuestPull.Install.Containerd;

/// <summary>A containerd release number, as <c>containerd --version</c> or the Version API reports it.</summary>
internal sealed partial record ContainerdVersion(int Major, int Minor, int Patch, string Text) : IComparable<ContainerdVersion>
{
    /// <summary>containerd 1.7: the first with per-runtime snapshotters (<c>runtimes.NAME.snapshotter</c>).</summary>
    public static ContainerdVersion RuntimeSpecificSnapshotter { get; } = new(1, 7, 0, "1.7.0");

    /// <summary>containerd 2.0: config version 3, CRI split into the images and runtime services.</summary>
    public static ContainerdVersion ConfigVersion3 { get; } = new(2, 0, 0, "2.0.0");

    /// <summary>
    /// containerd 2.3: the first 2.x whose image pull reads the runtime table's <c>snapshotter</c>; 2.0-2.2 read
    /// only the images service's <c>runtime_platforms.NAME.snapshotter</c>.
    /// </summary>
    public static ContainerdVersion RuntimeSnapshotterAtPull { get; } = new(2, 3, 0, "2.3.0");

    /// <summary>
    /// Reads the first <c>X.Y.Z</c> from text such as <c>1.6.20~ds1</c>, <c>v1.7.0</c> or
    /// <c>containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3</c>.
    /// </summary>
    /// <exception cref="FormatException">No version number in the text.</exception>
    public static ContainerdVersion Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var match = VersionPattern().Match(text);
        if (!match.Success)
        {
            throw new FormatException($"no containerd version number (X.Y.Z) in '{text.Trim()}'");
        }
        return new ContainerdVersion(
            int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
            int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture),
            match.Value.TrimStart('v'));
    }

    /// <inheritdoc />
    public int CompareTo(ContainerdVersion? other) =>
        other is null ? 1 : (Major, Minor, Patch).CompareTo((other.Major, other.Minor, other.Patch));

    /// <summary>Whether this version is at least <paramref name="other"/>.</summary>
    public bool IsAtLeast(ContainerdVersion other) => CompareTo(other) >= 0;

    /// <inheritdoc />
    public override string ToString() => Text;

    [GeneratedRegex(@"v?(\d+)\.(\d+)\.(\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
