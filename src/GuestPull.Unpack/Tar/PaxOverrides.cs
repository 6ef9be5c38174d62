namespace GuestPull.Unpack.Tar;

/// <summary>What a local PAX header changes about the entry that follows it.</summary>
internal sealed class PaxOverrides
{
    private static readonly byte[] XattrPrefix = "SCHILY.xattr."u8.ToArray();

    public string? Path { get; private set; }

    public string? LinkPath { get; private set; }

    public long? Size { get; private set; }

    public long? Uid { get; private set; }

    public long? Gid { get; private set; }

    public (long Seconds, uint Nanoseconds)? ModificationTime { get; private set; }

    public List<KeyValuePair<string, byte[]>>? ExtendedAttributes { get; private set; }

    /// <summary>Parses a local ('x') header. Duplicate keys and empty values for keys we act on are errors.</summary>
    public static PaxOverrides ParseLocal(ReadOnlySpan<byte> data, TarReaderLimits limits, long offset)
    {
        var overrides = new PaxOverrides();
        var records = new PaxRecordEnumerator(data, limits.MaxPaxRecords, offset);
        while (records.MoveNext())
        {
            overrides.Apply(records.Key, records.Value, limits, offset);
        }

        return overrides;
    }

    /// <summary>
    /// Checks a global ('g') header. Tools disagree on whether global records apply to later
    /// entries (POSIX says yes, Go's archive/tar and so containerd ignore them), so a global
    /// record that would change how an entry is read or written is refused rather than guessed.
    /// </summary>
    public static void ValidateGlobal(ReadOnlySpan<byte> data, TarReaderLimits limits, long offset)
    {
        var records = new PaxRecordEnumerator(data, limits.MaxPaxRecords, offset);
        while (records.MoveNext())
        {
            var key = records.Key;
            if (IsActionable(key))
            {
                throw TarNumbers.Invalid(offset, $"global PAX header sets '{TarNumbers.DecodeUtf8(key, "PAX key", offset)}', which tar implementations interpret differently");
            }
        }
    }

    private static bool IsActionable(ReadOnlySpan<byte> key)
        => key.SequenceEqual("path"u8) || key.SequenceEqual("linkpath"u8) || key.SequenceEqual("size"u8)
           || key.SequenceEqual("uid"u8) || key.SequenceEqual("gid"u8) || key.SequenceEqual("mtime"u8)
           || key.StartsWith(XattrPrefix) || key.StartsWith("GNU.sparse."u8);

    private void Apply(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, TarReaderLimits limits, long offset)
    {
        if (key.SequenceEqual("path"u8))
        {
            Path = Once(Path, NonEmptyString(value, "path", offset), "path", offset);
        }
        else if (key.SequenceEqual("linkpath"u8))
        {
            LinkPath = Once(LinkPath, NonEmptyString(value, "linkpath", offset), "linkpath", offset);
        }
        else if (key.SequenceEqual("size"u8))
        {
            Size = Once(Size, TarNumbers.ParseDecimal(value, "size", offset), "size", offset);
        }
        else if (key.SequenceEqual("uid"u8))
        {
            Uid = Once(Uid, TarNumbers.ParseDecimal(value, "uid", offset), "uid", offset);
        }
        else if (key.SequenceEqual("gid"u8))
        {
            Gid = Once(Gid, TarNumbers.ParseDecimal(value, "gid", offset), "gid", offset);
        }
        else if (key.SequenceEqual("mtime"u8))
        {
            ModificationTime = Once(ModificationTime, TarNumbers.ParsePaxTime(value, "mtime", offset), "mtime", offset);
        }
        else if (key.StartsWith(XattrPrefix))
        {
            AddExtendedAttribute(key[XattrPrefix.Length..], value, limits, offset);
        }
        else if (key.StartsWith("GNU.sparse."u8))
        {
            throw TarNumbers.Invalid(offset, "sparse files (GNU.sparse PAX records) are not supported");
        }

        // Everything else (atime, ctime, uname, gname, comment, charset, vendor keys) is ignored, as POSIX allows.
    }

    private void AddExtendedAttribute(ReadOnlySpan<byte> nameBytes, ReadOnlySpan<byte> value, TarReaderLimits limits, long offset)
    {
        var name = TarNumbers.DecodeUtf8(nameBytes, "extended attribute name", offset);
        if (name.Length == 0 || nameBytes.Length > Linux.ExtendedAttributes.MaxNameLength)
        {
            throw TarNumbers.Invalid(offset, $"extended attribute name '{name}' is empty or longer than {Linux.ExtendedAttributes.MaxNameLength} bytes");
        }

        if (value.Length > Linux.ExtendedAttributes.MaxValueSize)
        {
            throw new LayerLimitExceededException($"tar: extended attribute '{name}' value of {value.Length} bytes exceeds {Linux.ExtendedAttributes.MaxValueSize} (header at offset {offset})");
        }

        ExtendedAttributes ??= [];
        if (ExtendedAttributes.Count >= limits.MaxExtendedAttributes)
        {
            throw new LayerLimitExceededException($"tar: entry has more than {limits.MaxExtendedAttributes} extended attributes (header at offset {offset})");
        }

        foreach (var existing in ExtendedAttributes)
        {
            if (existing.Key == name)
            {
                throw TarNumbers.Invalid(offset, $"PAX header sets extended attribute '{name}' twice");
            }
        }

        // Kept as raw bytes: values such as security.capability are binary, not text.
        ExtendedAttributes.Add(new(name, value.ToArray()));
    }

    private static string NonEmptyString(ReadOnlySpan<byte> value, string key, long offset)
    {
        // An empty value means "unset" in POSIX but "set to empty" in Go: refuse the ambiguity.
        if (value.IsEmpty)
        {
            throw TarNumbers.Invalid(offset, $"PAX record '{key}' is empty");
        }

        return TarNumbers.DecodeUtf8(value, $"PAX record '{key}'", offset);
    }

    private static T Once<T>(T? existing, T value, string key, long offset)
        where T : class
        => existing is null ? value : throw TarNumbers.Invalid(offset, $"PAX header has two '{key}' records");

    private static T? Once<T>(T? existing, T value, string key, long offset)
        where T : struct
        => existing is null ? value : throw TarNumbers.Invalid(offset, $"PAX header has two '{key}' records");
}
