namespace GuestPull.Images.Signatures;

/// <summary><c>reject</c>: refuses every image in its scope.</summary>
internal sealed class RejectRequirement : PolicyRequirement
{
    public override string TypeName => "reject";

    public override Task<RequirementResult> EvaluateAsync(SignatureContext context, CancellationToken cancellationToken) =>
        Task.FromResult(RequirementResult.Fail("the policy rejects every image in this scope"));
}
