using System.Text.Json.Serialization;

using GuestPull.Install.Verify;

namespace GuestPull.Cli.Output;

/// <summary>Source-generated JSON for <c>guestpull verify --format json</c>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(SandboxVerification))]
internal sealed partial class VerifyJsonContext : JsonSerializerContext;
