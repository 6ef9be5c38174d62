using Google.Protobuf;
using GuestPull.Api.Ttrpc.Protocol;
using GuestPull.Ttrpc.Framing;

namespace GuestPull.Fuzz.Targets;

/// <summary>
/// A connection's byte stream through <see cref="FrameReader"/>, each request and response payload
/// through the envelope parsers the server and client use. Rejections: <see cref="IOException"/> (the
/// stream ends inside a frame) and <see cref="InvalidProtocolBufferException"/> (a bad envelope, which
/// the server answers with InvalidArgument).
/// </summary>
internal static class TtrpcTarget
{
    // Small, so the oversized-frame path (answered, then skipped) is reachable with small inputs.
    private const int MaxMessageSize = 512;

    public static void Run(byte[] input)
    {
        using var stream = new MemoryStream(input, writable: false);
        using var reader = new FrameReader(stream, MaxMessageSize);
        try
        {
            while (reader.ReadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult() is { } frame)
            {
                using (frame)
                {
                    if (frame.IsOversized)
                    {
                        continue;
                    }

                    Decode(frame);
                }
            }
        }
        catch (IOException ex)
        {
            Rejection.Note(ex);
            // Documented: the connection ended in the middle of a frame.
        }
    }

    private static void Decode(Frame frame)
    {
        try
        {
            switch (frame.Header.Type)
            {
                case FrameType.Request:
                    _ = Request.Parser.ParseFrom(frame.Payload).CalculateSize();
                    break;
                case FrameType.Response:
                    _ = Response.Parser.ParseFrom(frame.Payload).CalculateSize();
                    break;
                default:
                    break;
            }
        }
        catch (InvalidProtocolBufferException ex)
        {
            Rejection.Note(ex);
            // What the server answers with InvalidArgument and the client fails the call with.
        }
    }
}
