namespace GuestPull.Configuration.Sandbox;

/// <summary>
/// The sandbox part of the shim's TOML: the top-level <c>sandbox</c> key and the <c>[vm]</c> table.
/// The shim reads them to start pods; <c>guestpull doctor</c> reads them to check what the shim will use.
/// </summary>
public static class ShimSandboxSection
{
    /// <summary>The top-level key naming the sandbox kind.</summary>
    public const string SandboxKey = "sandbox";

    /// <summary>The table of VM settings.</summary>
    public const string VmKey = "vm";

    /// <summary>The sandbox kind when the file does not say: a VM, the only kind that protects the pod from the host.</summary>
    public const SandboxKind DefaultKind = SandboxKind.Vm;

    /// <summary>Reads <c>sandbox = "vm" | "namespace"</c>.</summary>
    /// <param name="file">The shim's file.</param>
    public static SandboxKind ReadKind(TomlSection file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return !file.ContainsKey(SandboxKey)
            ? DefaultKind
            : file.GetChoice(SandboxKey, "vm", "namespace") == "namespace" ? SandboxKind.Namespace : SandboxKind.Vm;
    }

    /// <summary>Reads the <c>[vm]</c> table, or the defaults when there is none.</summary>
    /// <param name="file">The shim's file.</param>
    /// <param name="warnings">Receives the unknown keys.</param>
    public static VmSettings ReadVm(TomlSection file, ICollection<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(file);
        return file.ContainsKey(VmKey) ? VmSettings.Read(file.GetTable(VmKey), warnings) : new VmSettings();
    }
}
