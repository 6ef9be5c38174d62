using System.Text.Json.Serialization;

namespace GuestPull.Api.Kata;

/// <summary>Source-generated serializer for the Kata volume: no reflection per mount, and safe under NativeAOT.</summary>
[JsonSerializable(typeof(KataVirtualVolume))]
internal sealed partial class KataVolumeJsonContext : JsonSerializerContext;
