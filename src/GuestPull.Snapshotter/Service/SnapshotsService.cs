using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GuestPull.Api.Containerd.Snapshots.V1;
using GuestPull.Snapshotter.Storage;
using Microsoft.Extensions.Logging;

namespace GuestPull.Snapshotter.Service;

/// <summary>The `containerd.services.snapshots.v1.Snapshots` endpoint; maps refusals to the status codes containerd understands.</summary>
internal sealed partial class SnapshotsService(SnapshotManager manager, ILogger<SnapshotsService> logger) : Snapshots.SnapshotsBase
{
    private const int ListBatchSize = 100;

    public override Task<PrepareSnapshotResponse> Prepare(PrepareSnapshotRequest request, ServerCallContext context) =>
        Guard("Prepare", request.Key, async cancellationToken =>
        {
            SnapshotNameRules.Validate(request.Key, "key");
            SnapshotNameRules.Validate(request.Parent, "parent");
            var mounts = await manager.PrepareAsync(request.Key, request.Parent, request.Labels, cancellationToken).ConfigureAwait(false);
            var response = new PrepareSnapshotResponse();
            response.Mounts.Add(ProtoConversions.ToMounts(mounts));
            return response;
        }, context);

    public override Task<ViewSnapshotResponse> View(ViewSnapshotRequest request, ServerCallContext context) =>
        Guard("View", request.Key, async cancellationToken =>
        {
            SnapshotNameRules.Validate(request.Key, "key");
            SnapshotNameRules.Validate(request.Parent, "parent");
            var mounts = await manager.ViewAsync(request.Key, request.Parent, request.Labels, cancellationToken).ConfigureAwait(false);
            var response = new ViewSnapshotResponse();
            response.Mounts.Add(ProtoConversions.ToMounts(mounts));
            return response;
        }, context);

    public override Task<MountsResponse> Mounts(MountsRequest request, ServerCallContext context) =>
        Guard("Mounts", request.Key, async cancellationToken =>
        {
            SnapshotNameRules.Validate(request.Key, "key");
            var mounts = await manager.MountsAsync(request.Key, cancellationToken).ConfigureAwait(false);
            var response = new MountsResponse();
            response.Mounts.Add(ProtoConversions.ToMounts(mounts));
            return response;
        }, context);

    public override Task<Empty> Commit(CommitSnapshotRequest request, ServerCallContext context) =>
        Guard("Commit", request.Key, async cancellationToken =>
        {
            SnapshotNameRules.Validate(request.Key, "key");
            SnapshotNameRules.Validate(request.Name, "name");
            await manager.CommitAsync(request.Name, request.Key, request.Labels, cancellationToken).ConfigureAwait(false);
            return new Empty();
        }, context);

    public override Task<Empty> Remove(RemoveSnapshotRequest request, ServerCallContext context) =>
        Guard("Remove", request.Key, async cancellationToken =>
        {
            SnapshotNameRules.Validate(request.Key, "key");
            await manager.RemoveAsync(request.Key, cancellationToken).ConfigureAwait(false);
            return new Empty();
        }, context);

    public override Task<StatSnapshotResponse> Stat(StatSnapshotRequest request, ServerCallContext context) =>
        Guard("Stat", request.Key, async cancellationToken =>
        {
            SnapshotNameRules.Validate(request.Key, "key");
            var record = await manager.StatAsync(request.Key, cancellationToken).ConfigureAwait(false);
            return new StatSnapshotResponse { Info = ProtoConversions.ToInfo(record) };
        }, context);

    public override Task<UpdateSnapshotResponse> Update(UpdateSnapshotRequest request, ServerCallContext context) =>
        Guard("Update", request.Info?.Name ?? string.Empty, async cancellationToken =>
        {
            var info = request.Info ?? throw SnapshotException.InvalidArgument("update request has no info");
            SnapshotNameRules.Validate(info.Name, "name");
            var paths = request.UpdateMask?.Paths.ToList() ?? [];
            var record = await manager.UpdateAsync(info.Name, info.Labels, paths, cancellationToken).ConfigureAwait(false);
            return new UpdateSnapshotResponse { Info = ProtoConversions.ToInfo(record) };
        }, context);

    public override async Task List(ListSnapshotsRequest request, IServerStreamWriter<ListSnapshotsResponse> responseStream, ServerCallContext context)
    {
        var records = await Guard("List", string.Join(" | ", request.Filters), cancellationToken => manager.ListAsync(request.Filters, cancellationToken), context)
            .ConfigureAwait(false);
        foreach (var batch in records.Chunk(ListBatchSize))
        {
            var response = new ListSnapshotsResponse();
            response.Info.Add(batch.Select(ProtoConversions.ToInfo));
            await responseStream.WriteAsync(response, context.CancellationToken).ConfigureAwait(false);
        }
    }

    public override Task<UsageResponse> Usage(UsageRequest request, ServerCallContext context) =>
        Guard("Usage", request.Key, async cancellationToken =>
        {
            SnapshotNameRules.Validate(request.Key, "key");
            var usage = await manager.UsageAsync(request.Key, cancellationToken).ConfigureAwait(false);
            return new UsageResponse { Size = usage.Size, Inodes = usage.Inodes };
        }, context);

    public override Task<Empty> Cleanup(CleanupRequest request, ServerCallContext context) =>
        Guard("Cleanup", string.Empty, async cancellationToken =>
        {
            await manager.CleanupAsync(cancellationToken).ConfigureAwait(false);
            return new Empty();
        }, context);

    private async Task<T> Guard<T>(string operation, string key, Func<CancellationToken, Task<T>> action, ServerCallContext context)
    {
        try
        {
            return await action(context.CancellationToken).ConfigureAwait(false);
        }
        catch (SnapshotException ex)
        {
            LogRefused(operation, SnapshotNameRules.ForLog(key), ex.Code, ex.Message);
            throw new RpcException(new Status(ToStatusCode(ex.Code), ex.Message));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, $"{operation} cancelled"));
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            LogFailed(ex, operation, SnapshotNameRules.ForLog(key));
            throw new RpcException(new Status(StatusCode.Unknown, $"{operation} {SnapshotNameRules.ForLog(key)}: {ex.Message}"));
        }
    }

    private static StatusCode ToStatusCode(SnapshotErrorCode code) => code switch
    {
        SnapshotErrorCode.InvalidArgument => StatusCode.InvalidArgument,
        SnapshotErrorCode.NotFound => StatusCode.NotFound,
        SnapshotErrorCode.AlreadyExists => StatusCode.AlreadyExists,
        SnapshotErrorCode.FailedPrecondition => StatusCode.FailedPrecondition,
        SnapshotErrorCode.Unimplemented => StatusCode.Unimplemented,
        _ => StatusCode.Unknown,
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Operation} {Key} refused ({Code}): {Reason}")]
    private partial void LogRefused(string operation, string key, SnapshotErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Operation} {Key} failed")]
    private partial void LogFailed(Exception exception, string operation, string key);
}
