namespace GuestPull.Unpack.Tar;

/// <summary>
/// Walks "LEN KEY=VALUE\n" records of a PAX header, where LEN counts the whole record. Anything
/// that does not fit that grammar exactly is an error: lenient parsers are how tar smuggling works.
/// </summary>
internal ref struct PaxRecordEnumerator
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly int _maxRecords;
    private readonly long _offset;
    private int _position;
    private int _count;

    public PaxRecordEnumerator(ReadOnlySpan<byte> data, int maxRecords, long offset)
    {
        _data = data;
        _maxRecords = maxRecords;
        _offset = offset;
    }

    public ReadOnlySpan<byte> Key { get; private set; }

    public ReadOnlySpan<byte> Value { get; private set; }

    public bool MoveNext()
    {
        if (_position >= _data.Length)
        {
            return false;
        }

        if (++_count > _maxRecords)
        {
            throw new LayerLimitExceededException($"tar: PAX header has more than {_maxRecords} records (header at offset {_offset})");
        }

        var rest = _data[_position..];
        var space = rest.IndexOf((byte)' ');
        if (space <= 0 || space > 9)
        {
            throw TarNumbers.Invalid(_offset, "malformed PAX record length");
        }

        long length = 0;
        foreach (var c in rest[..space])
        {
            if (c is < (byte)'0' or > (byte)'9')
            {
                throw TarNumbers.Invalid(_offset, "malformed PAX record length");
            }

            length = (length * 10) + (c - '0');
        }

        // The shortest sensible record is "N K=\n" around a non-empty key.
        if (length < space + 4 || length > rest.Length)
        {
            throw TarNumbers.Invalid(_offset, $"PAX record length {length} does not fit the header");
        }

        var record = rest[..(int)length];
        if (record[^1] != (byte)'\n')
        {
            throw TarNumbers.Invalid(_offset, "PAX record does not end with a newline");
        }

        var keyValue = record[(space + 1)..^1];
        var equals = keyValue.IndexOf((byte)'=');
        if (equals <= 0)
        {
            throw TarNumbers.Invalid(_offset, "PAX record has no key");
        }

        Key = keyValue[..equals];
        Value = keyValue[(equals + 1)..];
        _position += (int)length;
        return true;
    }
}
