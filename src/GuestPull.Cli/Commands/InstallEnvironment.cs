namespace GuestPull.Cli.Commands;

/// <summary>Whether install runs inside a Kubernetes pod (the DaemonSet) with in-cluster credentials.</summary>
internal static class InstallEnvironment
{
    public static bool InCluster =>
        Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST") is { Length: > 0 }
        && File.Exists("/var/run/secrets/kubernetes.io/serviceaccount/token");
}
