namespace GuestPull.Images.Signatures;

/// <summary><c>insecureAcceptAnything</c>: accepts any image, signed or not.</summary>
internal sealed class InsecureAcceptAnythingRequirement : PolicyRequirement
{
    public override string TypeName => "insecureAcceptAnything";

    public override Task<RequirementResult> EvaluateAsync(SignatureContext context, CancellationToken cancellationToken) =>
        Task.FromResult(RequirementResult.Pass("the policy accepts any image here without checking signatures"));
}
