namespace GuestPull.Images.Signatures;

/// <summary>The signature policy rejected an image; nothing was downloaded or created for it.</summary>
public sealed class PolicyRejectedException : Exception
{
    /// <summary>Creates the exception for a rejection.</summary>
    public PolicyRejectedException(string image, PolicyDecision decision)
        : base($"{image}: rejected by signature policy: requirement {decision?.Requirement} (scope {decision?.Scope}) failed: {decision?.Reason}")
    {
        ArgumentNullException.ThrowIfNull(decision);
        Image = image;
        Decision = decision;
    }

    /// <summary>The image as asked for.</summary>
    public string Image { get; }

    /// <summary>The decision, naming the failed requirement and why.</summary>
    public PolicyDecision Decision { get; }
}
