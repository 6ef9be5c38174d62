using System.Text.Json.Serialization;

namespace GuestPull.Snapshotter.Mounts;

/// <summary>Source-generated serializer for the Kata volume, so no reflection runs per mount.</summary>
[JsonSerializable(typeof(KataVirtualVolume))]
internal sealed partial class KataVolumeJsonContext : JsonSerializerContext;
