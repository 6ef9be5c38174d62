namespace GuestPull.Install.Containerd;

/// <summary>
/// One value the installer set in containerd's config: what was there before (TOML text, null when
/// the key was absent) and what GuestPull wrote, so an uninstall can put back exactly that key
/// when nobody changed it since.
/// </summary>
internal sealed record ConfigChange(string[] Table, string Key, string? Previous, string Applied);
