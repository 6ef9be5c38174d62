namespace GuestPull.Images.Signatures;

/// <summary>The outcome of evaluating a signature policy for one image.</summary>
public sealed record PolicyDecision
{
    /// <summary>Whether every requirement of the applicable scope passed.</summary>
    public required bool Accepted { get; init; }

    /// <summary>The policy scope that applied: a <c>transports.docker</c> key, <c>transports.docker ""</c>, or <c>default</c>.</summary>
    public required string Scope { get; init; }

    /// <summary>The requirement that decided: the first that failed on a rejection, else a summary of those that passed.</summary>
    public required string Requirement { get; init; }

    /// <summary>Why: what was missing or wrong, or which key and identity were accepted.</summary>
    public required string Reason { get; init; }

    /// <summary>One line: <c>accepted|rejected by &lt;requirement&gt; (scope …): &lt;reason&gt;</c>.</summary>
    public override string ToString() =>
        $"{(Accepted ? "accepted" : "rejected")} by {Requirement} (policy scope {Scope}): {Reason}";
}
