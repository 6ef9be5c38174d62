namespace GuestPull.Linux;

/// <summary>renameat2(2) flags.</summary>
[Flags]
public enum RenameFlags : uint
{
    /// <summary>Plain rename(2) semantics.</summary>
    None = 0,

    /// <summary>RENAME_NOREPLACE: fail with EEXIST if the new name exists.</summary>
    NoReplace = 1,

    /// <summary>RENAME_EXCHANGE: atomically swap the two names.</summary>
    Exchange = 2,
}
