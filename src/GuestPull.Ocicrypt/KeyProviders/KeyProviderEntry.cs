namespace GuestPull.Ocicrypt.KeyProviders;

/// <summary>One key provider of a <see cref="KeyProviderConfig"/>: a command or a gRPC address.</summary>
/// <param name="Name">The provider's name, as in the <c>org.opencontainers.image.enc.keys.provider.NAME</c> annotation.</param>
/// <param name="CommandPath">The program exchanging JSON on stdin/stdout, or null.</param>
/// <param name="CommandArguments">Its arguments.</param>
/// <param name="GrpcAddress">The <c>HOST:PORT</c> of a <c>keyprovider.KeyProviderService</c>, or null.</param>
public sealed record KeyProviderEntry(string Name, string? CommandPath, IReadOnlyList<string> CommandArguments, string? GrpcAddress)
{
    /// <inheritdoc />
    public override string ToString() => CommandPath is not null ? $"provider {Name} (cmd {CommandPath})" : $"provider {Name} (grpc {GrpcAddress})";
}
