using System.Text.Json.Nodes;
using GuestPull.Api.Agent.V1;

namespace GuestPull.IntegrationTests.Agent;

/// <summary>The pieces of a CreateContainer request the agent tests send, as Kata's runtime would build them.</summary>
internal static class AgentRequests
{
    /// <summary>Where Kata's agent keeps bundles in the sandbox.</summary>
    public const string KataRun = "/run/kata-containers";

    /// <summary>A minimal OCI spec: the image's command (or <paramref name="args"/>), /proc, new namespaces, no capabilities.</summary>
    public static string Spec(string containerType, IReadOnlyList<string> args, uint uid = 0) => new JsonObject
    {
        ["ociVersion"] = "1.0.2",
        ["process"] = new JsonObject
        {
            ["user"] = new JsonObject { ["uid"] = uid, ["gid"] = uid },
            ["args"] = new JsonArray([.. args.Select(a => (JsonNode?)a)]),
            ["env"] = new JsonArray("PATH=/bin"),
            ["cwd"] = "/",
        },
        ["root"] = new JsonObject { ["path"] = "rootfs" },
        ["mounts"] = new JsonArray(new JsonObject { ["destination"] = "/proc", ["type"] = "proc", ["source"] = "proc" }),
        ["annotations"] = new JsonObject { ["io.kubernetes.cri.container-type"] = containerType },
        ["linux"] = new JsonObject
        {
            ["namespaces"] = new JsonArray(new JsonObject { ["type"] = "pid" }, new JsonObject { ["type"] = "mount" }, new JsonObject { ["type"] = "ipc" }, new JsonObject { ["type"] = "uts" }),
        },
    }.ToJsonString();

    /// <summary>The <c>image_guest_pull</c> storage Kata's runtime sends for a container's rootfs.</summary>
    public static Storage GuestPullStorage(string containerId, string source) => new()
    {
        Driver = "image_guest_pull",
        DriverOptions = { "image_guest_pull={\"metadata\":{}}" },
        Source = source,
        Fstype = "overlay",
        MountPoint = $"{KataRun}/{containerId}/rootfs",
    };
}
