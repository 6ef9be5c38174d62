namespace GuestPull.Ttrpc.Framing;

/// <summary>The message type byte of a ttrpc frame header.</summary>
internal enum FrameType : byte
{
    Request = 1,
    Response = 2,

    // Streaming data (ttrpc 1.2+). Never sent here; received ones are ignored for forward compatibility.
    Data = 3,
}
