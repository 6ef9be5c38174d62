using System.Text.Json.Serialization;

namespace GuestPull.Cli.Verify;

/// <summary>Source-generated JSON for <c>guestpull verify --format json</c>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(SandboxVerification))]
internal sealed partial class VerifyJsonContext : JsonSerializerContext;
