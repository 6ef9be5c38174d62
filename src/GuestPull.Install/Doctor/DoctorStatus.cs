namespace GuestPull.Install.Doctor;

/// <summary>How one doctor check came out.</summary>
public enum DoctorStatus
{
    /// <summary>As GuestPull needs it.</summary>
    Pass,

    /// <summary>Works, but something will bite later or could not be checked.</summary>
    Warn,

    /// <summary>Guest pull will not work until this is fixed.</summary>
    Fail,
}
