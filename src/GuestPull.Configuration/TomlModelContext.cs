using Tomlyn.Model;
using Tomlyn.Serialization;

namespace GuestPull.Configuration;

/// <summary>Source-generated metadata for Tomlyn's untyped model, so parsing needs no reflection (trim- and NativeAOT-safe).</summary>
[TomlSerializable(typeof(TomlTable))]
internal sealed partial class TomlModelContext : TomlSerializerContext;
