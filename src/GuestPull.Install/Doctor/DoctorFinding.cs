namespace GuestPull.Install.Doctor;

/// <summary>One check's result: what was found and, unless it passed, how to fix it.</summary>
/// <param name="Check">A stable short name, such as <c>containerd.annotations</c>.</param>
/// <param name="Status">Pass, warn or fail.</param>
/// <param name="Message">What the check found.</param>
/// <param name="Fix">What to do about it (empty when it passed).</param>
public sealed record DoctorFinding(string Check, DoctorStatus Status, string Message, string Fix);
