namespace GuestPull.Images.Signatures;

/// <summary>The signatures found for one manifest, where they were looked for, and a retrieval error if any.</summary>
internal sealed record FetchedSignatures<T>(IReadOnlyList<T> Signatures, string Location, string? Error = null);
