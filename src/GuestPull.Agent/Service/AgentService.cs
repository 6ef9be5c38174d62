using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GuestPull.Agent.Containers;
using GuestPull.Agent.Files;
using GuestPull.Api.Agent.V1;
using GuestPull.Ttrpc;

namespace GuestPull.Agent.Service;

/// <summary>Binds <c>guestpull.agent.v1.Agent</c>'s methods on a ttrpc server to the container manager and the file copier.</summary>
internal static class AgentService
{
    public const string Name = "guestpull.agent.v1.Agent";

    public static void Register(TtrpcServer server, ContainerManager containers, FileCopyService files)
    {
        server.Register(Name, "CreateContainer", CreateContainerRequest.Parser, async (_, request, ct) =>
        {
            await containers.CreateAsync(request, ct).ConfigureAwait(false);
            return new Empty();
        });
        server.Register(Name, "StartContainer", StartContainerRequest.Parser, async (_, request, ct) =>
        {
            await containers.StartAsync(request.ContainerId, ct).ConfigureAwait(false);
            return new Empty();
        });
        server.Register(Name, "RemoveContainer", RemoveContainerRequest.Parser, async (_, request, ct) =>
        {
            var timeout = request.Timeout == 0 ? (TimeSpan?)null : TimeSpan.FromSeconds(request.Timeout);
            await containers.RemoveAsync(request.ContainerId, timeout, ct).ConfigureAwait(false);
            return new Empty();
        });
        server.Register(Name, "ExecProcess", ExecProcessRequest.Parser, async (_, request, ct) =>
        {
            await containers.ExecAsync(request.ContainerId, request.ExecId, request.ProcessJson, ct).ConfigureAwait(false);
            return new Empty();
        });
        server.Register(Name, "SignalProcess", SignalProcessRequest.Parser, async (_, request, ct) =>
        {
            if (request.Signal is 0 or > 64)
            {
                throw new TtrpcException(TtrpcStatusCode.InvalidArgument, $"signal {request.Signal} is not a valid signal number (1 to 64)");
            }

            await containers.SignalAsync(request.ContainerId, request.ExecId, (int)request.Signal, ct).ConfigureAwait(false);
            return new Empty();
        });
        server.Register(Name, "WaitProcess", WaitProcessRequest.Parser, async (_, request, ct) =>
        {
            var exit = await containers.WaitAsync(request.ContainerId, request.ExecId, ct).ConfigureAwait(false);
            return new WaitProcessResponse { Status = exit.Status, ExitedAt = Timestamp.FromDateTimeOffset(exit.At) };
        });
        server.Register(Name, "ReadStdout", ReadStreamRequest.Parser, (_, request, ct) => ReadAsync(containers, request, stderr: false, ct));
        server.Register(Name, "ReadStderr", ReadStreamRequest.Parser, (_, request, ct) => ReadAsync(containers, request, stderr: true, ct));
        server.Register(Name, "WriteStdin", WriteStreamRequest.Parser, async (_, request, ct) =>
        {
            var written = await containers.WriteStdinAsync(request.ContainerId, request.ExecId, request.Data.Memory, ct).ConfigureAwait(false);
            return new WriteStreamResponse { Len = (uint)written };
        });
        server.Register(Name, "CloseStdin", CloseStdinRequest.Parser, async (_, request, ct) =>
        {
            await containers.CloseStdinAsync(request.ContainerId, request.ExecId, ct).ConfigureAwait(false);
            return new Empty();
        });
        server.Register(Name, "ListContainers", ListContainersRequest.Parser, (_, _, _) =>
        {
            var response = new ListContainersResponse();
            response.Containers.AddRange(containers.List());
            return Task.FromResult(response);
        });
        server.Register(Name, "CopyFile", CopyFileRequest.Parser, async (_, request, ct) =>
        {
            await files.CopyAsync(request, ct).ConfigureAwait(false);
            return new Empty();
        });
        server.Register(Name, "Check", CheckRequest.Parser, (_, _, _) =>
            Task.FromResult(new HealthCheckResponse { Status = HealthCheckResponse.Types.ServingStatus.Serving }));
    }

    private static async Task<ReadStreamResponse> ReadAsync(ContainerManager containers, ReadStreamRequest request, bool stderr, CancellationToken cancellationToken)
    {
        var (data, eof) = await containers.ReadAsync(request.ContainerId, request.ExecId, stderr, request.Len, cancellationToken).ConfigureAwait(false);
        return new ReadStreamResponse { Data = ByteString.CopyFrom(data), Eof = eof };
    }
}
