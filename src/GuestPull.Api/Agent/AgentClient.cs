using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GuestPull.Api.Agent.V1;
using GuestPull.Api.Ttrpc;

namespace GuestPull.Api.Agent;

/// <summary>Typed calls to the guest agent's <c>guestpull.agent.v1.Agent</c> service over one ttrpc connection.</summary>
public sealed class AgentClient : IAsyncDisposable
{
    /// <summary>The agent's ttrpc service name.</summary>
    public const string Service = "guestpull.agent.v1.Agent";

    // CopyFile chunks: well under ttrpc's 4 MiB message limit, few round trips for the usual small file.
    private const int CopyChunkSize = 1024 * 1024;
    private const uint RegularFileType = 0x8000; // S_IFREG
    private const uint DirectoryType = 0x4000; // S_IFDIR
    private const uint ParentDirectoryMode = 0x1ED; // 0755

    // Kata's CreateContainer timeout is 60 s, but here the image pull happens inside it; the agent
    // bounds the pull itself (pull_timeout_seconds), so the shim only guards against a hung agent.
    private static readonly TimeSpan CreateTimeout = TimeSpan.FromMinutes(25);
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(60);

    private readonly ITtrpcChannel _client;

    /// <summary>Wraps a connection to the agent; the client owns it from then on.</summary>
    /// <param name="channel">The ttrpc connection (GuestPull.Ttrpc's <c>TtrpcClient</c>).</param>
    public AgentClient(ITtrpcChannel channel) => _client = channel;

    /// <summary>Completes when the connection to the agent closes.</summary>
    public Task Completion => _client.Completion;

    /// <summary>Asks the agent whether it is serving.</summary>
    public Task<HealthCheckResponse> CheckAsync(CancellationToken cancellationToken) =>
        CallAsync<CheckRequest, HealthCheckResponse>("Check", new CheckRequest(), ShortTimeout, cancellationToken);

    /// <summary>Creates a container: pulls its image when its storage asks for a guest pull, then prepares its bundle.</summary>
    public Task CreateContainerAsync(CreateContainerRequest request, CancellationToken cancellationToken) =>
        CallAsync<CreateContainerRequest, Empty>("CreateContainer", request, CreateTimeout, cancellationToken);

    /// <summary>Starts a created container's process.</summary>
    public Task StartContainerAsync(string containerId, CancellationToken cancellationToken) =>
        CallAsync<StartContainerRequest, Empty>("StartContainer", new StartContainerRequest { ContainerId = containerId }, ShortTimeout, cancellationToken);

    /// <summary>Removes a container and everything the agent holds for it.</summary>
    public Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken) =>
        CallAsync<RemoveContainerRequest, Empty>("RemoveContainer", new RemoveContainerRequest { ContainerId = containerId }, ShortTimeout, cancellationToken);

    /// <summary>Starts an extra process (an OCI process spec as JSON) in a running container.</summary>
    public Task ExecProcessAsync(string containerId, string execId, string processJson, CancellationToken cancellationToken) =>
        CallAsync<ExecProcessRequest, Empty>("ExecProcess", new ExecProcessRequest { ContainerId = containerId, ExecId = execId, ProcessJson = processJson }, ShortTimeout, cancellationToken);

    /// <summary>Sends a signal to a container's process or to one of its exec'd processes.</summary>
    public Task SignalProcessAsync(string containerId, string execId, uint signal, CancellationToken cancellationToken) =>
        CallAsync<SignalProcessRequest, Empty>("SignalProcess", new SignalProcessRequest { ContainerId = containerId, ExecId = execId, Signal = signal }, ShortTimeout, cancellationToken);

    /// <summary>Waits for the process to exit, however long that takes.</summary>
    public Task<WaitProcessResponse> WaitProcessAsync(string containerId, string execId, CancellationToken cancellationToken) =>
        CallAsync<WaitProcessRequest, WaitProcessResponse>("WaitProcess", new WaitProcessRequest { ContainerId = containerId, ExecId = execId }, null, cancellationToken);

    /// <summary>Long poll: returns as soon as output exists, or eof.</summary>
    public Task<ReadStreamResponse> ReadAsync(string containerId, string execId, bool stderr, CancellationToken cancellationToken) =>
        CallAsync<ReadStreamRequest, ReadStreamResponse>(stderr ? "ReadStderr" : "ReadStdout", new ReadStreamRequest { ContainerId = containerId, ExecId = execId, Len = 64 * 1024 }, null, cancellationToken);

    /// <summary>Writes to a process's standard input.</summary>
    public Task<WriteStreamResponse> WriteStdinAsync(string containerId, string execId, ByteString data, CancellationToken cancellationToken) =>
        CallAsync<WriteStreamRequest, WriteStreamResponse>("WriteStdin", new WriteStreamRequest { ContainerId = containerId, ExecId = execId, Data = data }, ShortTimeout, cancellationToken);

    /// <summary>Closes a process's standard input.</summary>
    public Task CloseStdinAsync(string containerId, string execId, CancellationToken cancellationToken) =>
        CallAsync<CloseStdinRequest, Empty>("CloseStdin", new CloseStdinRequest { ContainerId = containerId, ExecId = execId }, ShortTimeout, cancellationToken);

    /// <summary>Lists the containers the agent holds.</summary>
    public Task<ListContainersResponse> ListContainersAsync(CancellationToken cancellationToken) =>
        CallAsync<ListContainersRequest, ListContainersResponse>("ListContainers", new ListContainersRequest(), ShortTimeout, cancellationToken);

    /// <summary>
    /// Writes a file in the guest, owned by root, in chunks of at most 1 MiB; parent directories
    /// the agent creates get mode 0755. The agent renames the file into place once the last chunk
    /// arrives, so readers in the guest never see part of it. The path must be below the agent's
    /// copy root (<c>/run/kata-containers/shared/containers</c> by default).
    /// </summary>
    /// <param name="guestPath">The file's absolute path in the guest.</param>
    /// <param name="content">The whole content (the agent takes at most 64 MiB).</param>
    /// <param name="mode">The file's permissions.</param>
    /// <param name="cancellationToken">Stops sending; the destination is left as it was, and the agent drops the unfinished copy when the file is sent again, when another copy starts after 10 idle minutes, or when it stops.</param>
    public async Task CopyFileAsync(string guestPath, ReadOnlyMemory<byte> content, UnixFileMode mode, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(guestPath);
        var offset = 0;
        // An empty file is still one request: the agent creates it on the chunk that reaches file_size.
        do
        {
            var length = Math.Min(CopyChunkSize, content.Length - offset);
            var request = CopyRequest(guestPath, RegularFileType | (uint)mode, content.Length);
            request.Offset = offset;
            request.Data = ByteString.CopyFrom(content.Span.Slice(offset, length));
            await CallAsync<CopyFileRequest, Empty>("CopyFile", request, ShortTimeout, cancellationToken).ConfigureAwait(false);
            offset += length;
        }
        while (offset < content.Length);
    }

    /// <summary>Creates a directory in the guest (and its missing parents, mode 0755), owned by root; an existing directory gets <paramref name="mode"/>.</summary>
    /// <param name="guestPath">The directory's absolute path in the guest, below the agent's copy root.</param>
    /// <param name="mode">The directory's permissions.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task CreateDirectoryAsync(string guestPath, UnixFileMode mode, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(guestPath);
        return CallAsync<CopyFileRequest, Empty>("CopyFile", CopyRequest(guestPath, DirectoryType | (uint)mode, 0), ShortTimeout, cancellationToken);
    }

    /// <summary>Closes the connection.</summary>
    public ValueTask DisposeAsync() => _client.DisposeAsync();

    private static CopyFileRequest CopyRequest(string guestPath, uint fileMode, long fileSize) => new()
    {
        Path = guestPath,
        FileSize = fileSize,
        FileMode = fileMode,
        DirMode = ParentDirectoryMode,
        Uid = 0,
        Gid = 0,
    };

    private Task<TResponse> CallAsync<TRequest, TResponse>(string method, TRequest request, TimeSpan? timeout, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>, new() =>
        _client.UnaryCallAsync<TRequest, TResponse>(Service, method, request, timeout, cancellationToken);
}
