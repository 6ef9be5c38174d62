using System.Runtime.InteropServices;

namespace GuestPull.Oci.Model;

/// <summary>An image platform: operating system, architecture and optional variant, normalised as containerd does.</summary>
public sealed record Platform
{
    /// <summary>Creates a platform, normalising architecture aliases (<c>x86_64</c> → <c>amd64</c>, <c>aarch64</c> → <c>arm64</c>).</summary>
    public Platform(string os, string architecture, string? variant = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(os);
        ArgumentException.ThrowIfNullOrEmpty(architecture);
        (Architecture, Variant) = NormalizeArchitecture(architecture.ToLowerInvariant(), string.IsNullOrEmpty(variant) ? null : variant.ToLowerInvariant());
        Os = os.ToLowerInvariant();
    }

    /// <summary>The operating system, e.g. <c>linux</c>.</summary>
    public string Os { get; }

    /// <summary>The architecture in GOARCH form, e.g. <c>amd64</c>.</summary>
    public string Architecture { get; }

    /// <summary>The architecture variant, e.g. <c>v8</c>, or null.</summary>
    public string? Variant { get; }

    /// <summary>The platform this process runs on.</summary>
    public static Platform Current { get; } = new("linux", RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        System.Runtime.InteropServices.Architecture.S390x => "s390x",
        System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
        System.Runtime.InteropServices.Architecture.RiscV64 => "riscv64",
        System.Runtime.InteropServices.Architecture.LoongArch64 => "loong64",
        var other => other.ToString().ToLowerInvariant(),
    });

    /// <summary>Parses <c>os/arch[/variant]</c>.</summary>
    /// <exception cref="FormatException">The text is not of that form.</exception>
    public static Platform Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var parts = value.Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0 || p.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))))
        {
            throw new FormatException($"invalid platform \"{value}\": expected os/architecture[/variant], e.g. linux/amd64 or linux/arm64/v8");
        }

        return new Platform(parts[0], parts[1], parts.Length == 3 ? parts[2] : null);
    }

    /// <summary>
    /// Whether an image built for <paramref name="candidate"/> runs here. OS and architecture must be
    /// equal; a variant given on this side must be equal too (arm64's default variant is v8).
    /// </summary>
    public bool Matches(Platform candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        if (Os != candidate.Os || Architecture != candidate.Architecture)
        {
            return false;
        }

        return Variant is null || candidate.Variant is null || Variant == candidate.Variant
            || (Architecture == "arm64" && IsDefaultArm64(Variant) && IsDefaultArm64(candidate.Variant));
    }

    /// <summary>The <c>os/arch[/variant]</c> form.</summary>
    public override string ToString() => Os + "/" + Architecture + (Variant is null ? string.Empty : "/" + Variant);

    private static bool IsDefaultArm64(string? variant) => variant is null or "v8";

    private static (string Architecture, string? Variant) NormalizeArchitecture(string architecture, string? variant) => architecture switch
    {
        "x86_64" or "x86-64" => ("amd64", variant),
        "i386" or "i686" => ("386", variant),
        "aarch64" or "arm64" => ("arm64", variant == "8" ? "v8" : variant),
        "armhf" => ("arm", "v7"),
        "armel" => ("arm", "v6"),
        "arm" => ("arm", variant is null ? "v7" : variant.StartsWith('v') ? variant : "v" + variant),
        _ => (architecture, variant),
    };
}
