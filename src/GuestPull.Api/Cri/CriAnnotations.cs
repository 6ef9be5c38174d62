namespace GuestPull.Api.Cri;

/// <summary>
/// The OCI spec annotations a CRI implementation puts on a pod's containers, under containerd's
/// names and CRI-O's, read in that order (as Kata's runtime and agent do). See docs/contracts.md,
/// "CRI labels and annotations".
/// </summary>
public static class CriAnnotations
{
    /// <summary>containerd: <c>sandbox</c> for the pod's pause container, <c>container</c> for the others.</summary>
    public const string ContainerType = "io.kubernetes.cri.container-type";

    /// <summary>CRI-O's <see cref="ContainerType"/>.</summary>
    public const string CrioContainerType = "io.kubernetes.cri-o.ContainerType";

    /// <summary>containerd: the id of the pod sandbox a container belongs to.</summary>
    public const string SandboxId = "io.kubernetes.cri.sandbox-id";

    /// <summary>CRI-O's <see cref="SandboxId"/>.</summary>
    public const string CrioSandboxId = "io.kubernetes.cri-o.SandboxID";

    /// <summary>containerd: the image reference the container was created from.</summary>
    public const string ImageName = "io.kubernetes.cri.image-name";

    /// <summary>CRI-O's <see cref="ImageName"/>.</summary>
    public const string CrioImageName = "io.kubernetes.cri-o.ImageName";

    /// <summary>The value of a container-type annotation that marks the pod's sandbox (pause) container.</summary>
    public const string SandboxType = "sandbox";

    /// <summary>The container-type keys, containerd's first.</summary>
    public static IReadOnlyList<string> ContainerTypeKeys { get; } = [ContainerType, CrioContainerType];

    /// <summary>The sandbox-id keys, containerd's first.</summary>
    public static IReadOnlyList<string> SandboxIdKeys { get; } = [SandboxId, CrioSandboxId];

    /// <summary>The image-name keys, containerd's first.</summary>
    public static IReadOnlyList<string> ImageNameKeys { get; } = [ImageName, CrioImageName];

    /// <summary>The first non-empty value among <paramref name="keys"/>.</summary>
    /// <param name="lookup">Reads one annotation, null when absent.</param>
    /// <param name="keys">The keys to try, in order.</param>
    /// <returns>The value, or null when none is set.</returns>
    public static string? First(Func<string, string?> lookup, IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
        {
            if (lookup(key) is { Length: > 0 } value)
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>Whether the annotations mark the pod's sandbox container (under either runtime's key).</summary>
    /// <param name="lookup">Reads one annotation, null when absent.</param>
    /// <returns>True for the sandbox container.</returns>
    public static bool IsSandbox(Func<string, string?> lookup) => First(lookup, ContainerTypeKeys) == SandboxType;
}
