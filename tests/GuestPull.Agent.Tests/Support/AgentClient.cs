using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GuestPull.Api.Agent.V1;
using GuestPull.Ttrpc;

namespace GuestPull.Agent.Tests.Support;

/// The calls a shim would make, over a plain ttrpc client.
internal static class AgentClient
{
    public const string Service = "guestpull.agent.v1.Agent";

    public static Task<TResponse> CallAsync<TRequest, TResponse>(this TtrpcClient client, string method, TRequest request, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new() =>
        client.CallAsync<TRequest, TResponse>(Service, method, request, new TtrpcCallOptions { Timeout = TimeSpan.FromMinutes(3) }, cancellationToken);

    public static Task<Empty> CreateAsync(this TtrpcClient client, CreateContainerRequest request, CancellationToken cancellationToken) =>
        client.CallAsync<CreateContainerRequest, Empty>("CreateContainer", request, cancellationToken);

    public static Task<Empty> StartAsync(this TtrpcClient client, string id, CancellationToken cancellationToken) =>
        client.CallAsync<StartContainerRequest, Empty>("StartContainer", new StartContainerRequest { ContainerId = id }, cancellationToken);

    public static Task<Empty> RemoveAsync(this TtrpcClient client, string id, CancellationToken cancellationToken) =>
        client.CallAsync<RemoveContainerRequest, Empty>("RemoveContainer", new RemoveContainerRequest { ContainerId = id }, cancellationToken);

    public static Task<WaitProcessResponse> WaitAsync(this TtrpcClient client, string id, string execId, CancellationToken cancellationToken) =>
        client.CallAsync<WaitProcessRequest, WaitProcessResponse>("WaitProcess", new WaitProcessRequest { ContainerId = id, ExecId = execId }, cancellationToken);

    public static async Task<ListContainersResponse> ListAsync(this TtrpcClient client, CancellationToken cancellationToken) =>
        await client.CallAsync<ListContainersRequest, ListContainersResponse>("ListContainers", new ListContainersRequest(), cancellationToken);

    /// Reads a stream with long-poll calls until the agent says eof.
    public static async Task<string> ReadToEndAsync(this TtrpcClient client, string method, string id, string execId, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        while (true)
        {
            var response = await client.CallAsync<ReadStreamRequest, ReadStreamResponse>(
                method, new ReadStreamRequest { ContainerId = id, ExecId = execId, Len = 4096 }, cancellationToken);
            if (response.Eof)
            {
                Assert.True(response.Data.IsEmpty, "the eof answer carries no data");
                return text.ToString();
            }

            Assert.False(response.Data.IsEmpty, "a long-poll read answers only with data or eof");
            text.Append(response.Data.ToStringUtf8());
        }
    }

    /// An OCI spec like the one containerd would send: no args (the image's are used) unless given.
    public static string Spec(IReadOnlyList<string>? args = null, IReadOnlyDictionary<string, string>? annotations = null)
    {
        var annotationObject = new JsonObject();
        foreach (var (key, value) in annotations ?? new Dictionary<string, string>())
        {
            annotationObject[key] = value;
        }

        var spec = new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
                ["args"] = new JsonArray([.. (args ?? []).Select(a => (JsonNode?)a)]),
                ["cwd"] = "/",
            },
            ["root"] = new JsonObject { ["path"] = "rootfs" },
            ["hostname"] = "agent-test",
            ["mounts"] = new JsonArray(new JsonObject { ["destination"] = "/proc", ["type"] = "proc", ["source"] = "proc" }),
            ["linux"] = new JsonObject
            {
                ["namespaces"] = new JsonArray(
                    new JsonObject { ["type"] = "pid" },
                    new JsonObject { ["type"] = "mount" },
                    new JsonObject { ["type"] = "ipc" },
                    new JsonObject { ["type"] = "uts" }),
            },
            ["annotations"] = annotationObject,
        };
        return spec.ToJsonString();
    }

    /// A CreateContainer request with one image_guest_pull storage, as Kata's runtime sends it.
    public static CreateContainerRequest GuestPull(string id, string source, string bundleRoot, string? spec = null, string driver = "image_guest_pull", string? driverOption = null)
    {
        var request = new CreateContainerRequest { ContainerId = id, OciSpecJson = spec ?? Spec() };
        request.Storages.Add(new Api.Agent.V1.Storage
        {
            Driver = driver,
            DriverOptions = { driverOption ?? "image_guest_pull={\"metadata\":{\"io.kubernetes.cri.container-name\":\"" + id + "\"}}" },
            Source = source,
            Fstype = "overlay",
            MountPoint = Path.Combine(bundleRoot, id, "rootfs"),
        });
        return request;
    }
}
