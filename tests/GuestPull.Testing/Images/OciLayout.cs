using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace GuestPull.Testing;

/// Just enough of an OCI image layout (index.json + blobs/sha256) to read tagged manifests and to add
/// blobs and tags that umoci cannot make (image indexes).
internal sealed class OciLayout
{
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    public OciLayout(string directory)
    {
        Directory = directory;
        if (!File.Exists(IndexPath))
        {
            throw new DirectoryNotFoundException($"'{directory}' is not an OCI image layout (no index.json).");
        }
    }

    public string Directory { get; }

    private string IndexPath => Path.Combine(Directory, "index.json");

    /// The descriptor index.json lists for <paramref name="tag"/>.
    public JsonObject GetTagDescriptor(string tag)
    {
        var index = ReadIndex();
        var descriptor = Manifests(index).LastOrDefault(m => RefName(m) == tag);
        return (JsonObject?)descriptor?.DeepClone()
            ?? throw new InvalidOperationException($"Tag '{tag}' is not in the OCI layout at {Directory}.");
    }

    public string GetTagDigest(string tag) => (string)GetTagDescriptor(tag)["digest"]!;

    public byte[] ReadBlob(string digest)
    {
        var path = BlobPath(digest);
        return File.Exists(path)
            ? File.ReadAllBytes(path)
            : throw new FileNotFoundException($"Blob {digest} is not in the OCI layout at {Directory}.", path);
    }

    public JsonObject ReadJsonBlob(string digest) =>
        JsonNode.Parse(ReadBlob(digest)) as JsonObject ?? throw new InvalidOperationException($"Blob {digest} is not a JSON object.");

    /// Writes a blob and returns a descriptor for it.
    public JsonObject WriteBlob(byte[] content, string mediaType)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        var path = BlobPath(digest);
        if (!File.Exists(path))
        {
            var temporary = path + ".tmp";
            File.WriteAllBytes(temporary, content);
            File.Move(temporary, path, overwrite: true);
        }

        return new JsonObject
        {
            ["mediaType"] = mediaType,
            ["digest"] = digest,
            ["size"] = content.LongLength,
        };
    }

    /// Points <paramref name="tag"/> at <paramref name="descriptor"/>, replacing an earlier entry of that tag.
    public void SetTag(string tag, JsonObject descriptor)
    {
        var index = ReadIndex();
        var manifests = index["manifests"] as JsonArray ?? [];
        foreach (var old in Manifests(index).Where(m => RefName(m) == tag).ToList())
        {
            manifests.Remove(old);
        }

        var entry = (JsonObject)descriptor.DeepClone();
        entry["annotations"] = new JsonObject { [RefNameAnnotation] = tag };
        manifests.Add(entry);
        index["manifests"] = manifests;
        var temporary = IndexPath + ".tmp";
        File.WriteAllText(temporary, index.ToJsonString());
        File.Move(temporary, IndexPath, overwrite: true);
    }

    private string BlobPath(string digest)
    {
        if (!digest.StartsWith("sha256:", StringComparison.Ordinal) || digest.Length != 71)
        {
            throw new ArgumentException($"'{digest}' is not a sha256 digest.", nameof(digest));
        }

        return Path.Combine(Directory, "blobs", "sha256", digest[7..]);
    }

    private JsonObject ReadIndex() =>
        JsonNode.Parse(File.ReadAllText(IndexPath)) as JsonObject
            ?? throw new InvalidOperationException($"{IndexPath} is not a JSON object.");

    private static IEnumerable<JsonObject> Manifests(JsonObject index) =>
        (index["manifests"] as JsonArray ?? []).OfType<JsonObject>();

    private static string? RefName(JsonObject descriptor) =>
        (string?)descriptor["annotations"]?[RefNameAnnotation];
}
