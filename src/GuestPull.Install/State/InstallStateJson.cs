using System.Text.Json.Serialization;

namespace GuestPull.Install.State;

/// <summary>Source-generated JSON for the install record (camelCase, nulls left out).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InstallState))]
internal sealed partial class InstallStateJson : JsonSerializerContext;
