using GuestPull.Testing;
using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using GuestPull.Unpack.Tar;
using GuestPull.Unpack.Tests.Helpers;
using TarEntry = GuestPull.Unpack.Tar.TarEntry;
using TarEntryType = GuestPull.Unpack.Tar.TarEntryType;
using TarReader = GuestPull.Unpack.Tar.TarReader;
using SystemTarEntryType = System.Formats.Tar.TarEntryType;
using SystemTarWriter = System.Formats.Tar.TarWriter;

namespace GuestPull.Unpack.Tests;

public sealed class TarReaderTests
{
    private static readonly byte[] Capability = [0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    public static TheoryData<TarEntryFormat> Formats => new() { TarEntryFormat.V7, TarEntryFormat.Ustar, TarEntryFormat.Pax, TarEntryFormat.Gnu };

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task ReadsWhatSystemFormatsTarWrites(TarEntryFormat format)
    {
        var longName = "deep/" + new string('n', 120) + "/file";
        var content = RandomNumberGenerator.GetBytes(70_000);
        var mtime = new DateTimeOffset(2021, 3, 4, 5, 6, 7, TimeSpan.Zero);
        var stream = new MemoryStream();
        using (var writer = new SystemTarWriter(stream, format, leaveOpen: true))
        {
            writer.WriteEntry(Entry(format, SystemTarEntryType.Directory, "dir/", e => e.Mode = (UnixFileMode)0x1ED));
            writer.WriteEntry(Entry(format, RegularType(format), "dir/file", e =>
            {
                e.DataStream = new MemoryStream(content);
                e.Mode = (UnixFileMode)0xDED;
                e.Uid = 1000;
                e.Gid = 2000;
                e.ModificationTime = mtime;
            }));
            writer.WriteEntry(Entry(format, SystemTarEntryType.SymbolicLink, "dir/abs-link", e => e.LinkName = "/etc/passwd"));
            writer.WriteEntry(Entry(format, SystemTarEntryType.HardLink, "dir/hard", e => e.LinkName = "dir/file"));
            if (format != TarEntryFormat.V7)
            {
                writer.WriteEntry(Entry(format, SystemTarEntryType.CharacterDevice, "dev/null", e =>
                {
                    ((PosixTarEntry)e).DeviceMajor = 1;
                    ((PosixTarEntry)e).DeviceMinor = 3;
                }));
                writer.WriteEntry(Entry(format, SystemTarEntryType.Fifo, "fifo", _ => { }));
            }

            if (format is TarEntryFormat.Pax or TarEntryFormat.Gnu)
            {
                writer.WriteEntry(Entry(format, SystemTarEntryType.RegularFile, longName, e => e.DataStream = new MemoryStream("long"u8.ToArray())));
            }
        }

        var entries = await ReadAllAsync(stream.ToArray());

        Assert.Equal(TarEntryType.Directory, entries[0].Entry.Type);
        Assert.Equal("dir/", entries[0].Entry.Name);
        var file = entries[1];
        Assert.Equal(TarEntryType.RegularFile, file.Entry.Type);
        Assert.Equal(content, file.Data);
        Assert.Equal(0xDEDu, file.Entry.Mode);
        Assert.Equal(1000u, file.Entry.Uid);
        Assert.Equal(2000u, file.Entry.Gid);
        Assert.Equal(mtime.ToUnixTimeSeconds(), file.Entry.ModificationSeconds);
        Assert.Equal((TarEntryType.SymbolicLink, "/etc/passwd"), (entries[2].Entry.Type, entries[2].Entry.LinkName));
        Assert.Equal((TarEntryType.HardLink, "dir/file"), (entries[3].Entry.Type, entries[3].Entry.LinkName));
        if (format != TarEntryFormat.V7)
        {
            Assert.Equal((TarEntryType.CharacterDevice, 1u, 3u), (entries[4].Entry.Type, entries[4].Entry.DeviceMajor, entries[4].Entry.DeviceMinor));
            Assert.Equal(TarEntryType.Fifo, entries[5].Entry.Type);
        }

        if (format is TarEntryFormat.Pax or TarEntryFormat.Gnu)
        {
            Assert.Equal(longName, entries[^1].Entry.Name);
            Assert.Equal("long"u8.ToArray(), entries[^1].Data);
        }
    }

    [Fact]
    public async Task PaxRecordsOverrideTheUstarFields()
    {
        var tar = new TarBuilder()
            .Pax(("path", "pax/name/" + new string('p', 200)), ("uid", "4000000000"), ("gid", "77"), ("mtime", "1600000000.123456789"), ("atime", "1"), ("comment", "ignored"))
            .File("short", "data", uid: 1, gid: 1)
            .Pax(("linkpath", "/some/very/long/target/" + new string('t', 150)), ("mtime", "-1.25"))
            .Symlink("link", "short-target")
            .End();

        var entries = await ReadAllAsync(tar.ToArray());

        Assert.Equal("pax/name/" + new string('p', 200), entries[0].Entry.Name);
        Assert.Equal(4_000_000_000u, entries[0].Entry.Uid);
        Assert.Equal(77u, entries[0].Entry.Gid);
        Assert.Equal((1_600_000_000L, 123_456_789u), (entries[0].Entry.ModificationSeconds, entries[0].Entry.ModificationNanoseconds));
        Assert.Equal("data"u8.ToArray(), entries[0].Data);
        Assert.Equal("/some/very/long/target/" + new string('t', 150), entries[1].Entry.LinkName);
        Assert.Equal((-2L, 750_000_000u), (entries[1].Entry.ModificationSeconds, entries[1].Entry.ModificationNanoseconds));
    }

    [Fact]
    public async Task XattrValuesAreKeptAsRawBytes()
    {
        // Not UTF-8, with NUL, newline and '=' inside: exactly what a text decoding would corrupt.
        byte[] binary = [0x00, 0xff, 0xfe, (byte)'\n', (byte)'=', 0xc3, 0x28, 0x80, 0x00];
        var tar = new TarBuilder()
            .Pax([("SCHILY.xattr.security.capability", Capability), ("SCHILY.xattr.user.binary", binary), ("SCHILY.xattr.user.empty", [])])
            .File("bin/ping", "ELF")
            .End();

        var entry = (await ReadAllAsync(tar.ToArray())).Single().Entry;

        Assert.Equal(3, entry.ExtendedAttributes.Count);
        Assert.Equal("security.capability", entry.ExtendedAttributes[0].Key);
        Assert.Equal(Capability, entry.ExtendedAttributes[0].Value);
        Assert.Equal(binary, entry.ExtendedAttributes[1].Value);
        Assert.Empty(entry.ExtendedAttributes[2].Value);
    }

    [Fact]
    public async Task GnuLongNamesAndLinksAreRead()
    {
        var name = string.Join('/', Enumerable.Repeat("segment", 30));
        var link = "/" + string.Join('/', Enumerable.Repeat("target", 30));
        var tar = new TarBuilder()
            .GnuLong('L', name)
            .GnuLong('K', link)
            .Header(new TarHeaderSpec { Name = name[..100], LinkName = link[..100], TypeFlag = '2', Magic = TarMagic.Gnu })
            .End();

        var entry = (await ReadAllAsync(tar.ToArray())).Single().Entry;

        Assert.Equal(name, entry.Name);
        Assert.Equal(link, entry.LinkName);
    }

    [Fact]
    public async Task UstarPrefixIsJoinedToTheName()
    {
        var tar = new TarBuilder().Header(new TarHeaderSpec { Name = "file", Prefix = "a/b" }).End();
        Assert.Equal("a/b/file", (await ReadAllAsync(tar.ToArray())).Single().Entry.Name);
    }

    [Fact]
    public async Task Base256NumbersAreDecoded()
    {
        var tar = new TarBuilder()
            .Header(new TarHeaderSpec { Name = "big", Uid = 3_000_000_000, Gid = 70_000, Mtime = -86_400, Size = 3, Base256 = true })
            .Data("abc"u8)
            .End();

        var (entry, data) = (await ReadAllAsync(tar.ToArray())).Single();

        Assert.Equal(3_000_000_000u, entry.Uid);
        Assert.Equal(70_000u, entry.Gid);
        Assert.Equal(-86_400, entry.ModificationSeconds);
        Assert.Equal("abc"u8.ToArray(), data);
    }

    [Fact]
    public async Task OldStyleDirectoriesAreRecognised()
    {
        var tar = new TarBuilder().Header(new TarHeaderSpec { Name = "olddir/", TypeFlag = '\0', Magic = TarMagic.V7 }).End();
        Assert.Equal(TarEntryType.Directory, (await ReadAllAsync(tar.ToArray())).Single().Entry.Type);
    }

    [Fact]
    public async Task UnreadDataIsSkipped()
    {
        var tar = new TarBuilder().File("a", new byte[100_000]).File("b", "second").End().ToArray();
        using var reader = new TarReader(new MemoryStream(tar), new TarReaderLimits());
        Assert.Equal("a", (await reader.GetNextEntryAsync(default))!.Name);
        Assert.False((await reader.ReadDataAsync(default)).IsEmpty); // read one chunk, leave the rest
        var second = await reader.GetNextEntryAsync(default);
        Assert.Equal("b", second!.Name);
        Assert.Equal("second"u8.ToArray(), (await reader.ReadDataAsync(default)).ToArray());
        Assert.Null(await reader.GetNextEntryAsync(default));
    }

    [Fact]
    public async Task TrailingDataIsDrainedAndHashed()
    {
        var tar = new TarBuilder().File("a", "x").End().Raw(RandomNumberGenerator.GetBytes(10_000)).ToArray();
        using var reader = new TarReader(new MemoryStream(tar), new TarReaderLimits());
        while (await reader.GetNextEntryAsync(default) is not null)
        {
        }

        var trailing = await reader.DrainAsync(default);

        Assert.Equal(10_000, trailing);
        Assert.Equal(tar.Length, reader.BytesRead);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar)), reader.CurrentDigest());
    }

    [Fact]
    public async Task SingleZeroBlockAtTheEndIsAccepted()
    {
        var entries = await ReadAllAsync(new TarBuilder().File("a", "x").End(zeroBlocks: 1).ToArray());
        Assert.Single(entries);
    }

    [Theory]
    [InlineData("no end marker")]
    [InlineData("inside data")]
    [InlineData("inside header")]
    [InlineData("inside end marker")]
    public async Task TruncatedArchivesFail(string where)
    {
        var full = new TarBuilder().File("a", new byte[2000]).End().ToArray();
        var cut = where switch
        {
            "no end marker" => full[..(512 + 2048)],
            "inside data" => full[..1000],
            "inside header" => full[..300],
            _ => full[..(512 + 2048 + 512 + 100)],
        };

        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => ReadAllAsync(cut));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChecksumMismatchFails()
    {
        var tar = new TarBuilder().Header(new TarHeaderSpec { Name = "a", ChecksumDelta = 1 }).End();
        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => ReadAllAsync(tar.ToArray()));
        Assert.Contains("checksum mismatch", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PaxSizeWinsSoHiddenHeadersInsideDataAreNotEntries()
    {
        // The ustar size says 0, the PAX size says the data is 1536 bytes and holds a whole tar
        // header. A reader that trusted the ustar field would report "smuggled" as an entry.
        var inner = new TarBuilder().File("smuggled", "evil").ToArray();
        var tar = new TarBuilder()
            .Pax(("size", inner.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .Header(new TarHeaderSpec { Name = "carrier", Size = 0 })
            .Data(inner)
            .File("after", "ok")
            .End();

        var entries = await ReadAllAsync(tar.ToArray());

        Assert.Equal(["carrier", "after"], entries.Select(e => e.Entry.Name));
        Assert.Equal(inner, entries[0].Data);
    }

    [Fact]
    public async Task OversizedPaxHeaderFailsBeforeReadingIt()
    {
        // Declares 1 GiB of PAX data but carries none: the cap must trip, not an allocation or a read.
        var tar = new TarBuilder().Header(new TarHeaderSpec { Name = "PaxHeaders/x", TypeFlag = 'x', Size = 1L << 30 }).End();
        var e = await Assert.ThrowsAsync<LayerLimitExceededException>(() => ReadAllAsync(tar.ToArray()));
        Assert.Contains("PAX header of 1073741824 bytes exceeds the limit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TooManyPaxRecordsFail()
    {
        var records = Enumerable.Range(0, 5000).Select(i => ($"VENDOR.k{i}", "v")).ToArray();
        var tar = new TarBuilder().Pax(records).File("a", "x").End();
        var e = await Assert.ThrowsAsync<LayerLimitExceededException>(() => ReadAllAsync(tar.ToArray()));
        Assert.Contains("more than 4096 records", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OversizedGnuLongNameFails()
    {
        var tar = new TarBuilder().GnuLong('L', new string('a', 10_000)).File("a", "x").End();
        await Assert.ThrowsAsync<LayerLimitExceededException>(() => ReadAllAsync(tar.ToArray()));
    }

    [Fact]
    public async Task TooManyEntriesFail()
    {
        var builder = new TarBuilder();
        for (var i = 0; i < 11; i++)
        {
            builder.Directory($"d{i}/");
        }

        var e = await Assert.ThrowsAsync<LayerLimitExceededException>(() => ReadAllAsync(builder.End().ToArray(), new TarReaderLimits { MaxEntries = 10 }));
        Assert.Contains("more than 10 entries", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OverlongPathsFail()
    {
        var tar = new TarBuilder().Pax(("path", new string('a', 5000))).File("a", "x").End();
        var e = await Assert.ThrowsAsync<LayerLimitExceededException>(() => ReadAllAsync(tar.ToArray()));
        Assert.Contains("longer than 4096 bytes", e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, byte[], string> Ambiguous => new()
    {
        { "duplicate PAX key", new TarBuilder().Pax(("path", "a"), ("path", "b")).File("x", "").End().ToArray(), "two 'path' records" },
        { "duplicate xattr", new TarBuilder().Pax(("SCHILY.xattr.user.a", "1"), ("SCHILY.xattr.user.a", "2")).File("x", "").End().ToArray(), "sets extended attribute 'user.a' twice" },
        { "two PAX headers", new TarBuilder().Pax(("path", "a")).Pax(("uid", "1")).File("x", "").End().ToArray(), "two PAX extended headers in a row" },
        { "two long names", new TarBuilder().GnuLong('L', "a").GnuLong('L', "b").File("x", "").End().ToArray(), "two GNU long name headers" },
        { "long name and PAX path", new TarBuilder().GnuLong('L', "a").Pax(("path", "b")).File("x", "").End().ToArray(), "both a GNU long name and a PAX path" },
        { "empty PAX path", new TarBuilder().Pax(("path", "")).File("x", "").End().ToArray(), "PAX record 'path' is empty" },
        { "global path", new TarBuilder().Pax([("path", "everything"u8.ToArray())], 'g').File("x", "").End().ToArray(), "global PAX header sets 'path'" },
        { "global xattr", new TarBuilder().Pax([("SCHILY.xattr.user.a", "1"u8.ToArray())], 'g').File("x", "").End().ToArray(), "global PAX header sets 'SCHILY.xattr.user.a'" },
        { "sparse type", new TarBuilder().Header(new TarHeaderSpec { Name = "s", TypeFlag = 'S', Magic = TarMagic.Gnu }).End().ToArray(), "GNU sparse file" },
        { "sparse PAX", new TarBuilder().Pax(("GNU.sparse.major", "1")).File("x", "").End().ToArray(), "sparse files" },
        { "unknown type", new TarBuilder().Header(new TarHeaderSpec { Name = "v", TypeFlag = 'Q' }).End().ToArray(), "unsupported type 'Q'" },
        { "data on a symlink", new TarBuilder().Header(new TarHeaderSpec { Name = "l", TypeFlag = '2', LinkName = "t", Size = 512 }).Data(new byte[512]).End().ToArray(), "declares 512 bytes of data" },
        { "PAX size on a directory", new TarBuilder().Pax(("size", "10")).Directory("d/").End().ToArray(), "declares 10 bytes of data" },
        { "record length too long", new TarBuilder().PaxRaw("99 path=a\n"u8.ToArray()).File("x", "").End().ToArray(), "does not fit" },
        { "record without newline", new TarBuilder().PaxRaw("9 path=ab"u8.ToArray()).File("x", "").End().ToArray(), "newline" },
        { "record length not a number", new TarBuilder().PaxRaw("1x path=a\n"u8.ToArray()).File("x", "").End().ToArray(), "malformed PAX record length" },
        { "bad decimal", new TarBuilder().Pax(("uid", "12a")).File("x", "").End().ToArray(), "not a decimal number" },
        { "NUL in PAX path", new TarBuilder().Pax(("path", "a\0b")).File("x", "").End().ToArray(), "contains a NUL byte" },
        { "non-UTF-8 name", new TarBuilder().Header(new TarHeaderSpec { RawName = [0x61, 0xff, 0x62] }).End().ToArray(), "not valid UTF-8" },
        { "bad octal", new TarBuilder().Header(new TarHeaderSpec { Name = "a", Mode = 0 }).End().ToArray().Also(b => b[100] = (byte)'9').Also(FixChecksum), "mode field is not an octal number" },
        { "zero then data", new TarBuilder().File("a", "x").End(1).File("b", "y").End().ToArray(), "followed by a non-zero block" },
        { "end after PAX", new TarBuilder().Pax(("path", "a")).End().ToArray(), "end-of-archive marker follows an extended header" },
        { "uid -1", new TarBuilder().Pax(("uid", "4294967295")).File("x", "").End().ToArray(), "outside 0..4294967294" },
    };

    [Theory]
    [MemberData(nameof(Ambiguous))]
    public async Task AmbiguousOrHostileHeadersAreRefused(string what, byte[] tar, string message)
    {
        var e = await Assert.ThrowsAnyAsync<InvalidLayerException>(() => ReadAllAsync(tar));
        Assert.True(e.Message.Contains(message, StringComparison.Ordinal), $"{what}: '{e.Message}' lacks '{message}'");
    }

    [Fact]
    public async Task HarmlessGlobalHeadersAreAccepted()
    {
        // git archive writes one of these with the commit id.
        var tar = new TarBuilder().Pax([("comment", "0123456789abcdef"u8.ToArray())], 'g').File("a", "x").End();
        Assert.Single(await ReadAllAsync(tar.ToArray()));
    }

    [Fact]
    public async Task ArchiveSizeCapTrips()
    {
        var tar = new TarBuilder().File("a", new byte[1_000_000]).End().ToArray();
        var e = await Assert.ThrowsAsync<LayerTooLargeException>(() => ReadAllAsync(tar, new TarReaderLimits { MaxArchiveSize = 500_000 }));
        Assert.Contains("maximum uncompressed size of 500000 bytes", e.Message, StringComparison.Ordinal);
    }

    internal static async Task<List<(TarEntry Entry, byte[] Data)>> ReadAllAsync(byte[] tar, TarReaderLimits? limits = null)
    {
        using var reader = new TarReader(new MemoryStream(tar), limits ?? new TarReaderLimits());
        var result = new List<(TarEntry, byte[])>();
        while (await reader.GetNextEntryAsync(default) is { } entry)
        {
            var data = new MemoryStream();
            while (true)
            {
                var chunk = await reader.ReadDataAsync(default);
                if (chunk.IsEmpty)
                {
                    break;
                }

                data.Write(chunk.Span);
            }

            result.Add((entry, data.ToArray()));
        }

        await reader.DrainAsync(default);
        return result;
    }

    private static void FixChecksum(byte[] tar)
    {
        var block = tar.AsSpan(0, 512);
        "        "u8.CopyTo(block[148..]);
        var sum = 0;
        foreach (var b in block)
        {
            sum += b;
        }

        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(block[148..]);
    }

    private static SystemTarEntryType RegularType(TarEntryFormat format)
        => format == TarEntryFormat.V7 ? SystemTarEntryType.V7RegularFile : SystemTarEntryType.RegularFile;

    private static System.Formats.Tar.TarEntry Entry(TarEntryFormat format, SystemTarEntryType type, string name, Action<System.Formats.Tar.TarEntry> configure)
    {
        System.Formats.Tar.TarEntry entry = format switch
        {
            TarEntryFormat.V7 => new V7TarEntry(type, name),
            TarEntryFormat.Ustar => new UstarTarEntry(type, name),
            TarEntryFormat.Pax => new PaxTarEntry(type, name),
            _ => new GnuTarEntry(type, name),
        };
        entry.ModificationTime = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        configure(entry);
        return entry;
    }
}

internal static class ByteArrayExtensions
{
    public static byte[] Also(this byte[] bytes, Action<byte[]> change)
    {
        change(bytes);
        return bytes;
    }
}
