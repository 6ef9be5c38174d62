using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace GuestPull.Testing;

/// Direct edits of docker-registry's filesystem storage (docker/registry/v2/...), bypassing the API, so tests
/// can serve content the registry would never accept on upload. The registry runs without a blob descriptor
/// cache, so every edit is visible to the next request.
///
/// What docker-registry 2.8.2 serves (checked by experiment; RegistryStorageTests pins the key cases):
/// - TamperBlob: served as-is, same Content-Length, Docker-Content-Digest still the original digest.
///   The registry never re-verifies stored blobs.
/// - A blob is only served from repositories that link it (_layers link): WriteRawBlob alone gives
///   404 BLOB_UNKNOWN; add LinkBlob.
/// - LinkTag to a manifest blob: GET /v2/&lt;repo&gt;/manifests/&lt;tag or digest&gt; parses the stored JSON and
///   sets Content-Type from it:
///   * schemaVersion 2 with a "mediaType": that mediaType (OCI/Docker manifest or index). The registry never
///     sends a Content-Type that disagrees with the body's mediaType — for that use FaultProxy.ReplaceResponse.
///   * schemaVersion 2 without "mediaType": OCI manifest (or OCI index when it has "manifests"), but only if
///     Accept lists the OCI types; else 404 MANIFEST_UNKNOWN "OCI manifest found, but accept header does not
///     support OCI manifests".
///   * schemaVersion 1: served with Content-Type application/vnd.docker.distribution.manifest.v1+prettyjws
///     whatever the Accept header says. An unsigned one is signed on the fly (and a signed one re-serialised),
///     so the body served does not hash to the stored digest that Docker-Content-Digest reports.
///   * an unknown schemaVersion 2 mediaType, or bytes that are not JSON: 500 UNKNOWN.
///   * a manifest larger than 4 MiB: 500 UNKNOWN ("storage: read exceeds limit") — the registry refuses to
///     serve it, so an oversized-manifest test needs FaultProxy.ReplaceResponse.
public sealed partial class RegistryStorage
{
    public RegistryStorage(string rootDirectory)
    {
        RootDirectory = rootDirectory;
    }

    public string RootDirectory { get; }

    private string V2 => Path.Combine(RootDirectory, "docker", "registry", "v2");

    /// The file holding a blob's bytes (it may not exist yet).
    public string BlobDataPath(string digest)
    {
        var (algorithm, hex) = SplitDigest(digest);
        return Path.Combine(V2, "blobs", algorithm, hex[..2], hex, "data");
    }

    public bool BlobExists(string digest) => File.Exists(BlobDataPath(digest));

    /// Flips one byte of a stored blob (the middle one unless <paramref name="offset"/> is given); size unchanged.
    public void TamperBlob(string digest, long? offset = null)
    {
        var path = ExistingBlob(digest);
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        if (file.Length == 0)
        {
            throw new InvalidOperationException($"Blob {digest} is empty; there is no byte to flip.");
        }

        var position = offset ?? file.Length / 2;
        if (position < 0 || position >= file.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"Blob {digest} has {file.Length} bytes.");
        }

        file.Position = position;
        var value = file.ReadByte();
        file.Position = position;
        file.WriteByte((byte)(value ^ 0xFF));
    }

    /// Replaces a stored blob's bytes (any size) while the registry keeps serving it under the old digest.
    public void ReplaceBlob(string digest, byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        WriteAtomically(ExistingBlob(digest), content);
    }

    /// Deletes a blob's data file, leaving every link to it dangling.
    public void DeleteBlobData(string digest) => File.Delete(ExistingBlob(digest));

    /// Stores bytes as a blob without the API and returns its sha256 digest. Link it with
    /// <see cref="LinkBlob"/> (layers, configs) or <see cref="LinkTag"/> (manifests) to make it reachable.
    public string WriteRawBlob(byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        var path = BlobDataPath(digest);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        WriteAtomically(path, content);
        return digest;
    }

    /// Makes a stored blob visible at /v2/&lt;repository&gt;/blobs/&lt;digest&gt;.
    public void LinkBlob(string repository, string digest)
    {
        var (algorithm, hex) = SplitDigest(digest);
        WriteLink(Path.Combine(RepositoryPath(repository), "_layers", algorithm, hex, "link"), digest);
    }

    /// Points a tag at a stored manifest blob, writing the revision link too so the registry serves it
    /// by tag and by digest.
    public void LinkTag(string repository, string tag, string manifestDigest)
    {
        ValidateTag(tag);
        var (algorithm, hex) = SplitDigest(manifestDigest);
        var manifests = Path.Combine(RepositoryPath(repository), "_manifests");
        WriteLink(Path.Combine(manifests, "revisions", algorithm, hex, "link"), manifestDigest);
        WriteLink(Path.Combine(manifests, "tags", tag, "index", algorithm, hex, "link"), manifestDigest);
        WriteLink(Path.Combine(manifests, "tags", tag, "current", "link"), manifestDigest);
    }

    /// <see cref="WriteRawBlob"/> + <see cref="LinkTag"/>; returns the manifest's digest.
    public string PutRawManifest(string repository, string tag, byte[] manifest)
    {
        var digest = WriteRawBlob(manifest);
        LinkTag(repository, tag, digest);
        return digest;
    }

    private string ExistingBlob(string digest)
    {
        var path = BlobDataPath(digest);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Blob {digest} is not in the registry storage at {RootDirectory}.", path);
        }

        return path;
    }

    private string RepositoryPath(string repository)
    {
        if (!RepositoryName().IsMatch(repository))
        {
            throw new ArgumentException($"'{repository}' is not a valid repository name (lowercase path components).", nameof(repository));
        }

        return Path.Combine(V2, "repositories", repository);
    }

    private static void ValidateTag(string tag)
    {
        if (!TagName().IsMatch(tag))
        {
            throw new ArgumentException($"'{tag}' is not a valid tag.", nameof(tag));
        }
    }

    private static (string Algorithm, string Hex) SplitDigest(string digest)
    {
        var match = Digest().Match(digest ?? string.Empty);
        if (!match.Success)
        {
            throw new ArgumentException($"'{digest}' is not a valid digest (sha256:<64 hex> or sha512:<128 hex>).", nameof(digest));
        }

        return (match.Groups["algorithm"].Value, match.Groups["hex"].Value);
    }

    private static void WriteLink(string path, string digest)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        WriteAtomically(path, System.Text.Encoding.ASCII.GetBytes(digest));
    }

    // Rename so a concurrent registry read sees either the old or the new bytes, never a half-written file.
    private static void WriteAtomically(string path, byte[] content)
    {
        var temporary = path + ".guestpull-tmp";
        File.WriteAllBytes(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }

    [GeneratedRegex("^(?<algorithm>sha256):(?<hex>[a-f0-9]{64})$|^(?<algorithm>sha512):(?<hex>[a-f0-9]{128})$")]
    private static partial Regex Digest();

    [GeneratedRegex("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryName();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagName();
}
