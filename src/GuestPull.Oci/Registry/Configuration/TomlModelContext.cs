using Tomlyn.Model;
using Tomlyn.Serialization;

namespace GuestPull.Oci.Registry.Configuration;

/// <summary>
/// Source-generated metadata for reading TOML into the untyped <see cref="TomlTable"/> model: the
/// reflection-based serializer is not available to the NativeAOT agent.
/// </summary>
[TomlSerializable(typeof(TomlTable))]
internal sealed partial class TomlModelContext : TomlSerializerContext;
