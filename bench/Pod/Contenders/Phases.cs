namespace GuestPull.Bench.Pod.Contenders;

/// The moments of one run, each timed from the RunPodSandbox call (cumulative seconds).
internal static class Phases
{
    public const string Sandbox = "sandbox";
    public const string Pulled = "pulled";
    public const string Created = "created";
    public const string Started = "started";
    public const string Exited = "exited";

    /// containerd's own timestamps of the container's process (startedAt/finishedAt as the shim reported them).
    public const string ProcessStarted = "processStarted";
    public const string ProcessExited = "processExited";

    /// In the order they happen; <see cref="Exited"/> (the exit as CRI reports it to a kubelet) is the benchmark's figure.
    public static readonly IReadOnlyList<string> All = [Sandbox, Pulled, Created, ProcessStarted, Started, ProcessExited, Exited];

    public static string Describe(string phase) => phase switch
    {
        Sandbox => "RunPodSandbox returned",
        Pulled => "PullImage returned",
        Created => "CreateContainer returned",
        Started => "StartContainer returned",
        ProcessStarted => "process started (containerd's startedAt)",
        ProcessExited => "process exited (containerd's finishedAt)",
        Exited => "CRI reports the container exited",
        _ => phase,
    };
}
