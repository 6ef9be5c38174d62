using GuestPull.Oci.Model;

namespace GuestPull.Fuzz.Targets;

/// <summary>
/// <see cref="ManifestParser"/> on a manifest or index. The first byte picks the Content-Type it is
/// "served" with (none, OCI or Docker, manifest or index, schema 1), the rest is the document.
/// Rejections: <see cref="OciFormatException"/>, <see cref="UnsupportedManifestException"/>.
/// </summary>
internal static class OciManifestTarget
{
    private static readonly string?[] ContentTypes =
    [
        null,
        MediaTypes.OciManifest,
        MediaTypes.OciIndex,
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/json; charset=utf-8",
    ];

    public static void Run(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }

        var contentType = ContentTypes[input[0] % ContentTypes.Length];
        try
        {
            var document = ManifestParser.Parse(input.AsMemory(1), contentType);
            _ = document.Digest.ToString();
        }
        catch (UnsupportedManifestException ex)
        {
            Rejection.Note(ex);
            // Documented rejection of schema 1.
        }
        catch (OciFormatException ex)
        {
            Rejection.Note(ex);
            // Documented rejection.
        }
    }
}
