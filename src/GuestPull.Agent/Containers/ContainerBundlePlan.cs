namespace GuestPull.Agent.Containers;

/// <summary>
/// A container's bundle, checked but not yet built: where it goes, the image it is made from,
/// and how to build it once the container id is reserved.
/// </summary>
/// <param name="Bundle">The bundle directory (it must not exist yet).</param>
/// <param name="Image">What ListContainers reports as the container's image.</param>
/// <param name="BuildAsync">Builds the bundle; leaves nothing behind when it fails.</param>
internal sealed record ContainerBundlePlan(string Bundle, string Image, Func<CancellationToken, Task> BuildAsync);
