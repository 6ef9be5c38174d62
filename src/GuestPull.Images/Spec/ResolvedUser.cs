namespace GuestPull.Images.Spec;

/// <summary>The process identity an image's <c>User</c> resolves to.</summary>
/// <param name="Uid">The user id.</param>
/// <param name="Gid">The primary group id.</param>
/// <param name="AdditionalGids">The primary group followed by the groups /etc/group lists the user in.</param>
/// <param name="UserName">The user's name, when /etc/passwd knows it.</param>
public sealed record ResolvedUser(uint Uid, uint Gid, IReadOnlyList<uint> AdditionalGids, string? UserName);
