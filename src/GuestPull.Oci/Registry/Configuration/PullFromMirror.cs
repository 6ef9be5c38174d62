namespace GuestPull.Oci.Registry.Configuration;

/// <summary>Which pulls a mirror serves (<c>pull-from-mirror</c>).</summary>
internal enum PullFromMirror
{
    /// <summary><c>all</c>: pulls by tag and by digest.</summary>
    All,

    /// <summary><c>digest-only</c>: pulls by digest only, whose content the digest pins.</summary>
    DigestOnly,

    /// <summary><c>tag-only</c>: pulls by tag only.</summary>
    TagOnly,
}
