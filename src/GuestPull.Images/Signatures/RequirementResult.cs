namespace GuestPull.Images.Signatures;

/// <summary>What one requirement concluded about an image.</summary>
internal sealed record RequirementResult(bool Passed, string Reason)
{
    public static RequirementResult Pass(string reason) => new(true, reason);

    public static RequirementResult Fail(string reason) => new(false, reason);
}
