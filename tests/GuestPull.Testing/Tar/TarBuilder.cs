using System.Globalization;
using System.Text;

namespace GuestPull.Testing;

/// <summary>
/// Writes tar archives byte by byte, including headers no well-behaved writer would produce:
/// arbitrary type flags, declared sizes that disagree with the data, PAX records with binary
/// values, broken checksums, missing end markers.
/// </summary>
public sealed class TarBuilder
{
    private readonly MemoryStream _stream = new();

    public TarBuilder File(string name, string content, int mode = 0x1A4, int uid = 0, int gid = 0, long mtime = 1_600_000_000)
        => File(name, Encoding.UTF8.GetBytes(content), mode, uid, gid, mtime);

    public TarBuilder File(string name, byte[] content, int mode = 0x1A4, int uid = 0, int gid = 0, long mtime = 1_600_000_000)
    {
        Header(new TarHeaderSpec { Name = name, Mode = mode, Uid = uid, Gid = gid, Size = content.Length, Mtime = mtime, TypeFlag = '0' });
        return Data(content);
    }

    public TarBuilder Directory(string name, int mode = 0x1ED, int uid = 0, int gid = 0, long mtime = 1_600_000_000)
        => Header(new TarHeaderSpec { Name = name, Mode = mode, Uid = uid, Gid = gid, Mtime = mtime, TypeFlag = '5' });

    public TarBuilder Symlink(string name, string target, int uid = 0, int gid = 0, long mtime = 1_600_000_000)
        => Header(new TarHeaderSpec { Name = name, Mode = 0x1FF, Uid = uid, Gid = gid, Mtime = mtime, TypeFlag = '2', LinkName = target });

    public TarBuilder HardLink(string name, string target)
        => Header(new TarHeaderSpec { Name = name, Mode = 0x1A4, TypeFlag = '1', LinkName = target });

    public TarBuilder Device(string name, char typeFlag, int major, int minor, int mode = 0x1B6)
        => Header(new TarHeaderSpec { Name = name, Mode = mode, TypeFlag = typeFlag, DevMajor = major, DevMinor = minor });

    public TarBuilder Fifo(string name, int mode = 0x1A4)
        => Header(new TarHeaderSpec { Name = name, Mode = mode, TypeFlag = '6' });

    /// <summary>A local ('x') or global ('g') PAX header with the given records, values as raw bytes.</summary>
    public TarBuilder Pax(IEnumerable<(string Key, byte[] Value)> records, char typeFlag = 'x')
    {
        var body = new MemoryStream();
        foreach (var (key, value) in records)
        {
            body.Write(PaxRecord(key, value));
        }

        var bytes = body.ToArray();
        Header(new TarHeaderSpec { Name = "PaxHeaders/x", TypeFlag = typeFlag, Size = bytes.Length, Mode = 0x1A4 });
        return Data(bytes);
    }

    public TarBuilder Pax(params (string Key, string Value)[] records)
        => Pax(records.Select(r => (r.Key, Encoding.UTF8.GetBytes(r.Value))));

    /// <summary>Raw PAX header data, for malformed records.</summary>
    public TarBuilder PaxRaw(byte[] body, char typeFlag = 'x')
    {
        Header(new TarHeaderSpec { Name = "PaxHeaders/x", TypeFlag = typeFlag, Size = body.Length, Mode = 0x1A4 });
        return Data(body);
    }

    /// <summary>A GNU long name ('L') or long link ('K') header.</summary>
    public TarBuilder GnuLong(char typeFlag, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value + "\0");
        Header(new TarHeaderSpec { Name = "././@LongLink", TypeFlag = typeFlag, Size = bytes.Length, Magic = TarMagic.Gnu });
        return Data(bytes);
    }

    public TarBuilder Header(TarHeaderSpec spec)
    {
        _stream.Write(spec.Encode());
        return this;
    }

    /// <summary>Writes data and pads it to the next 512-byte boundary.</summary>
    public TarBuilder Data(ReadOnlySpan<byte> data)
    {
        _stream.Write(data);
        var padding = (512 - (data.Length % 512)) % 512;
        _stream.Write(new byte[padding]);
        return this;
    }

    public TarBuilder Raw(ReadOnlySpan<byte> bytes)
    {
        _stream.Write(bytes);
        return this;
    }

    public TarBuilder End(int zeroBlocks = 2)
    {
        _stream.Write(new byte[512 * zeroBlocks]);
        return this;
    }

    public byte[] ToArray() => _stream.ToArray();

    public MemoryStream ToStream() => new(ToArray(), writable: false);

    public static byte[] PaxRecord(string key, byte[] value)
    {
        var keyBytes = Encoding.UTF8.GetBytes(key);
        var rest = keyBytes.Length + value.Length + 3; // ' ', '=', '\n'
        var length = rest + 1;
        while (length.ToString(CultureInfo.InvariantCulture).Length + rest != length)
        {
            length = length.ToString(CultureInfo.InvariantCulture).Length + rest;
        }

        var record = new MemoryStream();
        record.Write(Encoding.ASCII.GetBytes(length.ToString(CultureInfo.InvariantCulture) + " "));
        record.Write(keyBytes);
        record.WriteByte((byte)'=');
        record.Write(value);
        record.WriteByte((byte)'\n');
        return record.ToArray();
    }
}
