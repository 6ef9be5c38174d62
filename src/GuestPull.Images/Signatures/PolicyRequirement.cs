namespace GuestPull.Images.Signatures;

/// <summary>One entry of a containers-policy.json requirement list.</summary>
internal abstract class PolicyRequirement
{
    /// <summary>The <c>type</c> as written in the policy.</summary>
    public abstract string TypeName { get; }

    /// <summary>Decides for the image in <paramref name="context"/>; never throws for a bad or missing signature.</summary>
    public abstract Task<RequirementResult> EvaluateAsync(SignatureContext context, CancellationToken cancellationToken);
}
