using GuestPull.Ttrpc.Framing;

namespace GuestPull.Ttrpc.Tests.Framing;

public sealed class FrameHeaderTests
{
    [Fact]
    public void Write_LaysOutLengthAndStreamIdBigEndianThenTypeAndFlags()
    {
        var bytes = new byte[FrameHeader.Size];

        new FrameHeader(0x01020304, 0x0A0B0C0D, FrameType.Response, 0x7F).Write(bytes);

        Assert.Equal(new byte[] { 1, 2, 3, 4, 0x0A, 0x0B, 0x0C, 0x0D, 2, 0x7F }, bytes);
    }

    [Fact]
    public void Read_ParsesWhatWriteWrote()
    {
        var header = new FrameHeader(4 << 20, 4_000_000_001, FrameType.Request, 0);
        var bytes = new byte[FrameHeader.Size];
        header.Write(bytes);

        Assert.Equal(header, FrameHeader.Read(bytes));
    }

    [Fact]
    public void Read_ShortBuffer_NamesTheSizes()
    {
        var error = Assert.Throws<ArgumentException>(() => FrameHeader.Read(new byte[9]));

        Assert.Contains("10 bytes, got 9", error.Message, StringComparison.Ordinal);
    }
}
