using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GuestPull.Agent.Protocol;
using GuestPull.Ttrpc;

namespace GuestPull.Shim.Agent;

/// <summary>Typed calls to the guest agent's <c>guestpull.agent.v1.Agent</c> service over one ttrpc connection.</summary>
internal sealed class AgentClient : IAsyncDisposable
{
    public const string Service = "guestpull.agent.v1.Agent";

    // Kata's CreateContainer timeout is 60 s, but here the image pull happens inside it; the agent
    // bounds the pull itself (pull_timeout_seconds), so the shim only guards against a hung agent.
    private static readonly TimeSpan CreateTimeout = TimeSpan.FromMinutes(25);
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(60);

    private readonly TtrpcClient _client;

    public AgentClient(TtrpcClient client) => _client = client;

    /// <summary>Completes when the connection to the agent closes.</summary>
    public Task Completion => _client.Completion;

    public static async Task<AgentClient> ConnectAsync(string socket, CancellationToken cancellationToken) =>
        new(await TtrpcClient.ConnectAsync(socket, cancellationToken: cancellationToken).ConfigureAwait(false));

    public Task<HealthCheckResponse> CheckAsync(CancellationToken cancellationToken) =>
        CallAsync<CheckRequest, HealthCheckResponse>("Check", new CheckRequest(), ShortTimeout, cancellationToken);

    public Task CreateContainerAsync(CreateContainerRequest request, CancellationToken cancellationToken) =>
        CallAsync<CreateContainerRequest, Empty>("CreateContainer", request, CreateTimeout, cancellationToken);

    public Task StartContainerAsync(string containerId, CancellationToken cancellationToken) =>
        CallAsync<StartContainerRequest, Empty>("StartContainer", new StartContainerRequest { ContainerId = containerId }, ShortTimeout, cancellationToken);

    public Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken) =>
        CallAsync<RemoveContainerRequest, Empty>("RemoveContainer", new RemoveContainerRequest { ContainerId = containerId }, ShortTimeout, cancellationToken);

    public Task ExecProcessAsync(string containerId, string execId, string processJson, CancellationToken cancellationToken) =>
        CallAsync<ExecProcessRequest, Empty>("ExecProcess", new ExecProcessRequest { ContainerId = containerId, ExecId = execId, ProcessJson = processJson }, ShortTimeout, cancellationToken);

    public Task SignalProcessAsync(string containerId, string execId, uint signal, CancellationToken cancellationToken) =>
        CallAsync<SignalProcessRequest, Empty>("SignalProcess", new SignalProcessRequest { ContainerId = containerId, ExecId = execId, Signal = signal }, ShortTimeout, cancellationToken);

    /// <summary>Waits for the process to exit, however long that takes.</summary>
    public Task<WaitProcessResponse> WaitProcessAsync(string containerId, string execId, CancellationToken cancellationToken) =>
        CallAsync<WaitProcessRequest, WaitProcessResponse>("WaitProcess", new WaitProcessRequest { ContainerId = containerId, ExecId = execId }, null, cancellationToken);

    /// <summary>Long poll: returns as soon as output exists, or eof.</summary>
    public Task<ReadStreamResponse> ReadAsync(string containerId, string execId, bool stderr, CancellationToken cancellationToken) =>
        CallAsync<ReadStreamRequest, ReadStreamResponse>(stderr ? "ReadStderr" : "ReadStdout", new ReadStreamRequest { ContainerId = containerId, ExecId = execId, Len = 64 * 1024 }, null, cancellationToken);

    public Task<WriteStreamResponse> WriteStdinAsync(string containerId, string execId, ByteString data, CancellationToken cancellationToken) =>
        CallAsync<WriteStreamRequest, WriteStreamResponse>("WriteStdin", new WriteStreamRequest { ContainerId = containerId, ExecId = execId, Data = data }, ShortTimeout, cancellationToken);

    public Task CloseStdinAsync(string containerId, string execId, CancellationToken cancellationToken) =>
        CallAsync<CloseStdinRequest, Empty>("CloseStdin", new CloseStdinRequest { ContainerId = containerId, ExecId = execId }, ShortTimeout, cancellationToken);

    public Task<ListContainersResponse> ListContainersAsync(CancellationToken cancellationToken) =>
        CallAsync<ListContainersRequest, ListContainersResponse>("ListContainers", new ListContainersRequest(), ShortTimeout, cancellationToken);

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    private Task<TResponse> CallAsync<TRequest, TResponse>(string method, TRequest request, TimeSpan? timeout, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new() =>
        _client.CallAsync<TRequest, TResponse>(Service, method, request, timeout is null ? null : new TtrpcCallOptions { Timeout = timeout }, cancellationToken);
}
