using System.Buffers;
using System.Text;

namespace GuestPull.Unpack.Tar;

/// <summary>
/// A streaming tar reader written for hostile input. It never buffers an entry's data (callers
/// pull it in chunks straight out of the read buffer), keeps PAX xattr values as raw bytes, bounds
/// every meta header by size and count, verifies checksums and refuses every construct that tar
/// implementations read differently (sparse files, repeated or conflicting meta headers, data on
/// header-only entries, actionable global headers), so what it reports is what any careful reader
/// would report. After the end marker, <see cref="DrainAsync"/> reads the rest of the stream so the
/// running digest covers all of it.
/// </summary>
internal sealed class TarReader : IDisposable
{
    private readonly LayerStreamBuffer _input;
    private readonly TarReaderLimits _limits;
    private long _dataRemaining;
    private int _paddingRemaining;
    private bool _finished;
    private int _entries;
    private string _currentName = string.Empty;

    public TarReader(Stream source, TarReaderLimits limits)
    {
        _input = new LayerStreamBuffer(source, limits.MaxArchiveSize);
        _limits = limits;
    }

    /// <summary>Bytes of the uncompressed stream read so far.</summary>
    public long BytesRead => _input.TotalRead;

    /// <summary>sha256 of every byte read so far.</summary>
    public string CurrentDigest() => _input.CurrentDigest();

    /// <summary>The next file entry, or null after the end-of-archive marker.</summary>
    public async ValueTask<TarEntry?> GetNextEntryAsync(CancellationToken cancellationToken)
    {
        if (_finished)
        {
            return null;
        }

        await SkipRestOfEntryAsync(cancellationToken).ConfigureAwait(false);

        PaxOverrides? pax = null;
        string? longName = null;
        string? longLink = null;
        var firstHeaderOffset = _input.Position;
        while (true)
        {
            var offset = _input.Position;
            var available = await _input.EnsureAsync(UstarHeader.BlockSize, cancellationToken).ConfigureAwait(false);
            if (available < UstarHeader.BlockSize)
            {
                throw TarNumbers.Invalid(offset, available == 0
                    ? "archive ends without an end-of-archive marker (truncated)"
                    : "archive ends inside a header block (truncated)");
            }

            if (UstarHeader.IsZeroBlock(_input.AvailableSpan))
            {
                if (pax is not null || longName is not null || longLink is not null)
                {
                    throw TarNumbers.Invalid(offset, "end-of-archive marker follows an extended header");
                }

                _input.Consume(UstarHeader.BlockSize);
                await ReadSecondEndBlockAsync(offset, cancellationToken).ConfigureAwait(false);
                _finished = true;
                return null;
            }

            var typeFlag = UstarHeader.ReadTypeFlag(_input.AvailableSpan);
            var isMeta = typeFlag is (byte)'x' or (byte)'g' or (byte)'L' or (byte)'K';
            var header = UstarHeader.Parse(
                _input.AvailableSpan,
                offset,
                decodeName: !isMeta && longName is null && pax?.Path is null,
                decodeLinkName: !isMeta && longLink is null && pax?.LinkPath is null);
            _input.Consume(UstarHeader.BlockSize);

            switch (typeFlag)
            {
                case (byte)'x':
                    if (pax is not null)
                    {
                        throw TarNumbers.Invalid(offset, "two PAX extended headers in a row");
                    }

                    var local = await ReadMetaDataAsync(header.Size, _limits.MaxPaxHeaderSize, "PAX header", offset, cancellationToken).ConfigureAwait(false);
                    try
                    {
                        pax = PaxOverrides.ParseLocal(local.AsSpan(0, (int)header.Size), _limits, offset);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(local);
                    }

                    continue;

                case (byte)'g':
                    var global = await ReadMetaDataAsync(header.Size, _limits.MaxPaxHeaderSize, "global PAX header", offset, cancellationToken).ConfigureAwait(false);
                    try
                    {
                        PaxOverrides.ValidateGlobal(global.AsSpan(0, (int)header.Size), _limits, offset);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(global);
                    }

                    continue;

                case (byte)'L':
                    if (longName is not null)
                    {
                        throw TarNumbers.Invalid(offset, "two GNU long name headers in a row");
                    }

                    longName = await ReadLongNameAsync(header.Size, "GNU long name", offset, cancellationToken).ConfigureAwait(false);
                    continue;

                case (byte)'K':
                    if (longLink is not null)
                    {
                        throw TarNumbers.Invalid(offset, "two GNU long link headers in a row");
                    }

                    longLink = await ReadLongNameAsync(header.Size, "GNU long link name", offset, cancellationToken).ConfigureAwait(false);
                    continue;
            }

            var entry = BuildEntry(header, pax, longName, longLink, firstHeaderOffset, offset);
            if (++_entries > _limits.MaxEntries)
            {
                throw new LayerLimitExceededException($"layer has more than {_limits.MaxEntries} entries");
            }

            _currentName = entry.Name;
            _dataRemaining = entry.Size;
            _paddingRemaining = (int)((UstarHeader.BlockSize - (entry.Size % UstarHeader.BlockSize)) % UstarHeader.BlockSize);
            return entry;
        }
    }

    /// <summary>
    /// The next chunk of the current entry's data, empty once it is all read. The memory is only
    /// valid until the next call on this reader.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadDataAsync(CancellationToken cancellationToken)
    {
        if (_dataRemaining == 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        var available = _input.Available;
        if (available == 0)
        {
            available = await _input.EnsureAsync(1, cancellationToken).ConfigureAwait(false);
            if (available == 0)
            {
                throw new InvalidLayerException($"tar: archive is truncated inside entry '{_currentName}' ({_dataRemaining} bytes of data missing)");
            }
        }

        var take = (int)Math.Min(available, _dataRemaining);
        var chunk = _input.AvailableMemory[..take];
        _input.Consume(take);
        _dataRemaining -= take;
        return chunk;
    }

    /// <summary>After the end marker: reads the rest of the stream; returns how many bytes followed the marker.</summary>
    public ValueTask<long> DrainAsync(CancellationToken cancellationToken)
    {
        if (!_finished)
        {
            throw new InvalidOperationException("The archive has not reached its end marker.");
        }

        return _input.DrainAsync(cancellationToken);
    }

    public void Dispose() => _input.Dispose();

    private TarEntry BuildEntry(UstarHeader header, PaxOverrides? pax, string? longName, string? longLink, long firstOffset, long offset)
    {
        if (longName is not null && pax?.Path is not null)
        {
            throw TarNumbers.Invalid(offset, "entry has both a GNU long name and a PAX path");
        }

        if (longLink is not null && pax?.LinkPath is not null)
        {
            throw TarNumbers.Invalid(offset, "entry has both a GNU long link name and a PAX linkpath");
        }

        var name = pax?.Path ?? longName ?? header.Name;
        var linkName = pax?.LinkPath ?? longLink ?? header.LinkName;
        var type = header.TypeFlag switch
        {
            (byte)'0' or (byte)'7' => TarEntryType.RegularFile,
            // Pre-POSIX archives mark directories as NUL-typed names ending in '/'.
            0 => name.EndsWith('/') ? TarEntryType.Directory : TarEntryType.RegularFile,
            (byte)'1' => TarEntryType.HardLink,
            (byte)'2' => TarEntryType.SymbolicLink,
            (byte)'3' => TarEntryType.CharacterDevice,
            (byte)'4' => TarEntryType.BlockDevice,
            (byte)'5' => TarEntryType.Directory,
            (byte)'6' => TarEntryType.Fifo,
            (byte)'S' => throw TarNumbers.Invalid(offset, $"entry '{name}' is a GNU sparse file, which is not supported"),
            _ => throw TarNumbers.Invalid(offset, $"entry '{name}' has unsupported type '{Printable(header.TypeFlag)}'"),
        };

        var size = pax?.Size ?? header.Size;
        if (size < 0)
        {
            throw TarNumbers.Invalid(offset, $"entry '{name}' has a negative size");
        }

        // Readers disagree on whether such data exists (Go skips none, others skip it): refuse.
        if (type != TarEntryType.RegularFile && size != 0)
        {
            throw TarNumbers.Invalid(offset, $"entry '{name}' of type {type} declares {size} bytes of data");
        }

        if (name.Length == 0)
        {
            throw TarNumbers.Invalid(offset, "entry has an empty name");
        }

        CheckPathLength(name, "entry name", offset);
        CheckPathLength(linkName, "link name", offset);
        if (type is TarEntryType.HardLink or TarEntryType.SymbolicLink && linkName.Length == 0)
        {
            throw TarNumbers.Invalid(offset, $"{type} entry '{name}' has an empty link target");
        }

        var (seconds, nanoseconds) = pax?.ModificationTime ?? (header.ModificationTime, 0u);
        return new TarEntry
        {
            Name = name,
            LinkName = linkName,
            Type = type,
            Mode = (uint)(header.Mode & 0xFFF),
            Uid = ToId(pax?.Uid ?? header.Uid, "uid", name, offset),
            Gid = ToId(pax?.Gid ?? header.Gid, "gid", name, offset),
            Size = size,
            ModificationSeconds = seconds,
            ModificationNanoseconds = nanoseconds,
            DeviceMajor = ToDevice(header.DeviceMajor, "devmajor", name, offset),
            DeviceMinor = ToDevice(header.DeviceMinor, "devminor", name, offset),
            ExtendedAttributes = pax?.ExtendedAttributes is { } xattrs ? xattrs : [],
            HeaderOffset = firstOffset,
        };
    }

    private async ValueTask ReadSecondEndBlockAsync(long offset, CancellationToken cancellationToken)
    {
        // Two zero blocks end an archive; a lone one at the very end is accepted as Go's reader does.
        var available = await _input.EnsureAsync(UstarHeader.BlockSize, cancellationToken).ConfigureAwait(false);
        if (available == 0)
        {
            return;
        }

        if (available < UstarHeader.BlockSize)
        {
            throw TarNumbers.Invalid(offset, "archive ends inside the end-of-archive marker (truncated)");
        }

        if (!UstarHeader.IsZeroBlock(_input.AvailableSpan))
        {
            throw TarNumbers.Invalid(offset, "a zero block is followed by a non-zero block (corrupt end-of-archive marker)");
        }

        _input.Consume(UstarHeader.BlockSize);
    }

    private async ValueTask<byte[]> ReadMetaDataAsync(long size, int max, string what, long offset, CancellationToken cancellationToken)
    {
        if (size < 0 || size > max)
        {
            throw new LayerLimitExceededException($"tar: {what} of {size} bytes exceeds the limit of {max} bytes (header at offset {offset})");
        }

        var data = ArrayPool<byte>.Shared.Rent(Math.Max(1, (int)size));
        try
        {
            var copied = 0;
            while (copied < size)
            {
                var available = await _input.EnsureAsync(1, cancellationToken).ConfigureAwait(false);
                if (available == 0)
                {
                    throw TarNumbers.Invalid(offset, $"archive is truncated inside a {what}");
                }

                var take = Math.Min(available, (int)size - copied);
                _input.AvailableSpan[..take].CopyTo(data.AsSpan(copied));
                _input.Consume(take);
                copied += take;
            }

            await SkipAsync((UstarHeader.BlockSize - (size % UstarHeader.BlockSize)) % UstarHeader.BlockSize, what, cancellationToken).ConfigureAwait(false);
            return data;
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(data);
            throw;
        }
    }

    private async ValueTask<string> ReadLongNameAsync(long size, string what, long offset, CancellationToken cancellationToken)
    {
        var data = await ReadMetaDataAsync(size, _limits.MaxLongNameSize, what, offset, cancellationToken).ConfigureAwait(false);
        try
        {
            var bytes = data.AsSpan(0, (int)size);
            var end = bytes.IndexOf((byte)0);
            var name = TarNumbers.DecodeUtf8(end < 0 ? bytes : bytes[..end], what, offset);
            return name.Length == 0 ? throw TarNumbers.Invalid(offset, $"{what} is empty") : name;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
        }
    }

    private async ValueTask SkipRestOfEntryAsync(CancellationToken cancellationToken)
    {
        if (_dataRemaining > 0)
        {
            await SkipAsync(_dataRemaining, $"entry '{_currentName}'", cancellationToken).ConfigureAwait(false);
            _dataRemaining = 0;
        }

        if (_paddingRemaining > 0)
        {
            await SkipAsync(_paddingRemaining, $"padding of entry '{_currentName}'", cancellationToken).ConfigureAwait(false);
            _paddingRemaining = 0;
        }
    }

    private async ValueTask SkipAsync(long count, string what, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            var available = await _input.EnsureAsync(1, cancellationToken).ConfigureAwait(false);
            if (available == 0)
            {
                throw new InvalidLayerException($"tar: archive is truncated inside {what}");
            }

            var take = (int)Math.Min(available, count);
            _input.Consume(take);
            count -= take;
        }
    }

    private void CheckPathLength(string path, string what, long offset)
    {
        if (path.Length > _limits.MaxPathLength || Encoding.UTF8.GetByteCount(path) > _limits.MaxPathLength)
        {
            throw new LayerLimitExceededException($"tar: {what} is longer than {_limits.MaxPathLength} bytes (header at offset {offset})");
        }
    }

    private static uint ToId(long value, string field, string name, long offset)
        => value is >= 0 and < uint.MaxValue ? (uint)value : throw TarNumbers.Invalid(offset, $"entry '{name}' has {field} {value}, outside 0..4294967294");

    private static uint ToDevice(long value, string field, string name, long offset)
        => value is >= 0 and <= uint.MaxValue ? (uint)value : throw TarNumbers.Invalid(offset, $"entry '{name}' has {field} {value} out of range");

    private static string Printable(byte typeFlag)
        => typeFlag is >= 0x20 and < 0x7f ? ((char)typeFlag).ToString() : $"\\x{typeFlag:x2}";
}
