using Google.Protobuf;
using GuestPull.Api.Ttrpc.Protocol;

namespace GuestPull.Ttrpc.Server;

/// <summary>Turns what a handler threw into the <c>google.rpc.Status</c> the client receives.</summary>
internal static class ExceptionStatusMapper
{
    /// <param name="exception">What the handler threw.</param>
    /// <param name="deadlineExpired">Whether the call's own deadline has passed.</param>
    /// <param name="connectionEnding">Whether the connection or the server is going away.</param>
    public static Status ToStatus(Exception exception, bool deadlineExpired, bool connectionEnding)
    {
        switch (exception)
        {
            case TtrpcException ttrpc:
                var status = new Status { Code = (int)ttrpc.StatusCode, Message = ttrpc.StatusMessage };
                status.Details.AddRange(ttrpc.Details);
                return status;
            case OperationCanceledException when deadlineExpired:
                return Create(TtrpcStatusCode.DeadlineExceeded, "context deadline exceeded");
            case OperationCanceledException when connectionEnding:
                return Create(TtrpcStatusCode.Cancelled, "the call was cancelled because the connection or the server is closing");
            case OperationCanceledException:
                return Create(TtrpcStatusCode.Cancelled, exception.Message);
            case InvalidProtocolBufferException:
                // Upstream reports an undecodable request payload as Internal, not InvalidArgument.
                return Create(TtrpcStatusCode.Internal, $"error unmarshalling payload: {exception.Message}");
            case FileNotFoundException or DirectoryNotFoundException:
                return Create(TtrpcStatusCode.NotFound, exception.Message);
            case UnauthorizedAccessException:
                return Create(TtrpcStatusCode.PermissionDenied, exception.Message);
            case NotImplementedException or NotSupportedException:
                return Create(TtrpcStatusCode.Unimplemented, exception.Message);
            case ArgumentException:
                return Create(TtrpcStatusCode.InvalidArgument, exception.Message);
            default:
                return Create(TtrpcStatusCode.Unknown, exception.Message);
        }
    }

    public static Status Create(TtrpcStatusCode code, string message) => new() { Code = (int)code, Message = message };
}
