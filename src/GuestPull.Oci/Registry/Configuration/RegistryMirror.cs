namespace GuestPull.Oci.Registry.Configuration;

/// <summary>One <c>[[registry.mirror]]</c>.</summary>
/// <param name="Location">Where the mirror is, <c>host[:port][/namespace]</c>.</param>
/// <param name="Insecure">Plain HTTP or unverified TLS allowed; <see langword="null"/> when the table does not say.</param>
/// <param name="PullFromMirror">Which pulls it serves.</param>
internal sealed record RegistryMirror(string Location, bool? Insecure, PullFromMirror PullFromMirror)
{
    public bool Serves(bool byDigest) => PullFromMirror switch
    {
        PullFromMirror.DigestOnly => byDigest,
        PullFromMirror.TagOnly => !byDigest,
        _ => true,
    };
}
