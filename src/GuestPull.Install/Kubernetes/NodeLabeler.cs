using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace GuestPull.Install.Kubernetes;

/// <summary>
/// Labels the node GuestPull runs on (in-cluster credentials of the DaemonSet's service account, which
/// may get and patch nodes), so pods can select nodes where the snapshotter is ready.
/// </summary>
internal static class NodeLabeler
{
    /// <summary>Sets the label to "true", or removes it when <paramref name="present"/> is false.</summary>
    public static async Task SetAsync(string node, string label, bool present, CancellationToken cancellationToken)
    {
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.InClusterConfig());
        // A JSON merge patch: null deletes the label, and nothing else on the node is touched.
        var patch = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["metadata"] = new Dictionary<string, object> { ["labels"] = new Dictionary<string, string?> { [label] = present ? "true" : null } },
        });
        try
        {
            await client.CoreV1.PatchNodeAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), node, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        catch (HttpOperationException ex)
        {
            throw new InstallException(
                $"could not {(present ? "label" : "unlabel")} node {node} ({label}): {ex.Response.StatusCode} {ex.Response.Content}; " +
                "the service account needs get and patch on nodes (deploy/kubernetes/rbac.yaml)", ex);
        }
    }
}
