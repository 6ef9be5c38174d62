using System.Text;
using System.Text.Json;
using GuestPull.Images.Signatures;
using GuestPull.Oci.Model;

namespace GuestPull.Images.Tests.Signatures;

/// <summary>
/// Reads the cosign-made fixtures (from containers/image's test data). They are not part of this
/// repository: <c>Locate</c> looks in $GUESTPULL_SHARED_FIXTURES/sigstore, then
/// /work/shared/fixtures/sigstore, then a shared/fixtures/sigstore directory beside the source tree or
/// the test binaries. Some files there are git symlinks checked out as text
/// ("../dir-img-cosign-valid/signature-1"); they are followed here.
/// </summary>
internal static class SigstoreFixtures
{
    private const string Prefix = "\0sigstore-json\n";

    public static string Directory { get; } = Locate();

    public static string PublicKey => Path.Combine(Directory, "cosign.pub");

    public static string OtherPublicKey => Path.Combine(Directory, "cosign2.pub");

    public static byte[] Read(string relative)
    {
        var path = Path.Combine(Directory, relative);
        var bytes = File.ReadAllBytes(path);
        var text = Encoding.UTF8.GetString(bytes);
        if (text.StartsWith("../", StringComparison.Ordinal) && !text.Contains('\n', StringComparison.Ordinal))
        {
            var target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, text));
            if (File.Exists(target))
            {
                return File.ReadAllBytes(target);
            }
        }

        return bytes;
    }

    /// <summary>containers/image's on-disk sigstore signature: payload and annotations of the attachment layer.</summary>
    public static SigstoreSignature ReadSignature(string relative) => ReadSignature(relative, out _);

    public static SigstoreSignature ReadSignature(string relative, out string mimeType)
    {
        var bytes = Read(relative);
        var prefix = Encoding.UTF8.GetBytes(Prefix);
        Assert.True(bytes.AsSpan().StartsWith(prefix), $"{relative} is not a sigstore-json signature");
        using var json = JsonDocument.Parse(bytes.AsMemory(prefix.Length));
        mimeType = json.RootElement.GetProperty("mimeType").GetString()!;
        var payload = Convert.FromBase64String(json.RootElement.GetProperty("payload").GetString()!);
        var signature = json.RootElement.GetProperty("annotations").GetProperty(SigstoreSignature.SignatureAnnotation).GetString();
        return new SigstoreSignature(relative, payload, signature);
    }

    public static ManifestCandidate Manifest(string directory)
    {
        var bytes = Read(Path.Combine(directory, "manifest.json"));
        return new ManifestCandidate("manifest", Digest.ComputeSha256(bytes), bytes);
    }

    private static string Locate([System.Runtime.CompilerServices.CallerFilePath] string sourceFile = "")
    {
        // GUESTPULL_SHARED_FIXTURES names the fixtures folder (…/shared/fixtures) when it is not beside
        // the clone; /work/shared/fixtures is its default place on the build machines.
        foreach (var root in new[] { Environment.GetEnvironmentVariable("GUESTPULL_SHARED_FIXTURES"), "/work/shared/fixtures" })
        {
            if (!string.IsNullOrEmpty(root) && System.IO.Directory.Exists(Path.Combine(root, "sigstore")))
            {
                return Path.Combine(root, "sigstore");
            }
        }

        // Test binaries may be built anywhere (--artifacts-path), so start from this source file.
        foreach (var start in new[] { Path.GetDirectoryName(sourceFile), AppContext.BaseDirectory })
        {
            for (var dir = start is null ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "fixtures", "sigstore");
                if (System.IO.Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new DirectoryNotFoundException("the cosign fixtures (shared/fixtures/sigstore next to the repository, or $GUESTPULL_SHARED_FIXTURES/sigstore) were not found");
    }
}
