namespace GuestPull.IntegrationTests.Cri;

/// <summary>The CRI node tests run one class at a time: each class starts a containerd, and two at once overload a 2-core CI machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CriCollection
{
    public const string Name = "cri-node";
}
