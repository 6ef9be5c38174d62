namespace GuestPull.Testing.Traits;

/// <summary>
/// The <c>Requires</c> trait of tests that cannot run as an ordinary user on a bare machine, so that
/// <c>dotnet test --filter "Requires!=root&amp;Requires!=components"</c> runs the rest in seconds.
/// Put it on the test class: <c>[Trait(Requires.Trait, Requires.Root)]</c>.
/// </summary>
public static class Requires
{
    /// <summary>The trait's name.</summary>
    public const string Trait = "Requires";

    /// <summary>Needs root: mounts, ownership and device nodes, namespaces, capabilities, other users' files.</summary>
    public const string Root = "root";

    /// <summary>
    /// Starts real components that the project's scripts install (containerd, runc, docker-registry,
    /// skopeo, umoci, gpg, the built CLI…) or a long-running process of the project's own.
    /// </summary>
    public const string Components = "components";
}
