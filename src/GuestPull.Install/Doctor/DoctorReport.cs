namespace GuestPull.Install.Doctor;

/// <summary>Every check's finding, in the order they ran.</summary>
public sealed class DoctorReport
{
    /// <summary>Creates a report.</summary>
    public DoctorReport(IReadOnlyList<DoctorFinding> findings) => Findings = findings;

    /// <summary>The findings.</summary>
    public IReadOnlyList<DoctorFinding> Findings { get; }

    /// <summary>Whether any check failed (the command then exits non-zero).</summary>
    public bool HasFailures => Findings.Any(f => f.Status == DoctorStatus.Fail);

    /// <summary>The finding of one check, or null when it did not run.</summary>
    public DoctorFinding? Find(string check) => Findings.FirstOrDefault(f => f.Check == check);
}
