using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using GuestPull.Linux.Interop;

namespace GuestPull.Linux;

/// <summary>
/// Extended attributes with binary values. Path-based calls never follow a final symlink
/// (l*xattr). The <c>…At</c> forms address an entry of a directory descriptor through
/// /proc/self/fd, so the parent is never looked up by path again.
/// </summary>
public static unsafe class ExtendedAttributes
{
    /// <summary>XATTR_SIZE_MAX: the largest value Linux accepts.</summary>
    public const int MaxValueSize = 65536;

    /// <summary>XATTR_NAME_MAX: the longest name Linux accepts, in bytes.</summary>
    public const int MaxNameLength = 255;

    /// <summary>Sets an attribute on the object a descriptor refers to (fsetxattr; not O_PATH).</summary>
    /// <param name="descriptor">An open descriptor.</param>
    /// <param name="name">The attribute name, e.g. <c>security.capability</c>.</param>
    /// <param name="value">The raw value.</param>
    public static void Set(SafeFileDescriptor descriptor, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* bytes = value)
        {
            if (LibC.FSetXattr(descriptor, name, bytes, (nuint)value.Length, 0) != 0)
            {
                throw new NativeCallException(Marshal.GetLastPInvokeError(), "fsetxattr", name);
            }
        }
    }

    /// <summary>Sets an attribute on a path, not following a final symlink (lsetxattr).</summary>
    /// <param name="path">The path.</param>
    /// <param name="name">The attribute name.</param>
    /// <param name="value">The raw value.</param>
    public static void Set(string path, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* bytes = value)
        {
            if (LibC.LSetXattr(path, name, bytes, (nuint)value.Length, 0) != 0)
            {
                throw new NativeCallException(Marshal.GetLastPInvokeError(), "lsetxattr", path, name);
            }
        }
    }

    /// <summary>Sets an attribute on the entry <paramref name="entryName"/> of a directory, not following it if it is a symlink.</summary>
    /// <param name="directory">The directory (an O_PATH descriptor is fine).</param>
    /// <param name="entryName">A single path component.</param>
    /// <param name="name">The attribute name.</param>
    /// <param name="value">The raw value.</param>
    public static void SetAt(SafeFileDescriptor directory, string entryName, string name, ReadOnlySpan<byte> value)
    {
        var added = false;
        try
        {
            directory.DangerousAddRef(ref added);
            Set(ProcPath(directory, entryName), name, value);
        }
        finally
        {
            if (added)
            {
                directory.DangerousRelease();
            }
        }
    }

    /// <summary>Reads an attribute of a descriptor's object; null when it is not set.</summary>
    /// <param name="descriptor">An open descriptor.</param>
    /// <param name="name">The attribute name.</param>
    public static byte[]? Get(SafeFileDescriptor descriptor, string name)
        => ReadSized((buffer, size) => LibC.FGetXattr(descriptor, name, buffer, size), "fgetxattr", name, allowMissing: true);

    /// <summary>Reads an attribute of a path, not following a final symlink; null when it is not set.</summary>
    /// <param name="path">The path.</param>
    /// <param name="name">The attribute name.</param>
    public static byte[]? Get(string path, string name)
        => ReadSized((buffer, size) => LibC.LGetXattr(path, name, buffer, size), "lgetxattr", path, allowMissing: true);

    /// <summary>Reads an attribute of a directory entry, not following it; null when it is not set.</summary>
    /// <param name="directory">The directory.</param>
    /// <param name="entryName">A single path component.</param>
    /// <param name="name">The attribute name.</param>
    public static byte[]? GetAt(SafeFileDescriptor directory, string entryName, string name)
    {
        var added = false;
        try
        {
            directory.DangerousAddRef(ref added);
            return Get(ProcPath(directory, entryName), name);
        }
        finally
        {
            if (added)
            {
                directory.DangerousRelease();
            }
        }
    }

    /// <summary>Lists the attribute names of a descriptor's object.</summary>
    /// <param name="descriptor">An open descriptor.</param>
    public static List<string> List(SafeFileDescriptor descriptor)
        => SplitNames(ReadSized((buffer, size) => LibC.FListXattr(descriptor, buffer, size), "flistxattr", null, allowMissing: false));

    /// <summary>Lists the attribute names of a path, not following a final symlink.</summary>
    /// <param name="path">The path.</param>
    public static List<string> List(string path)
        => SplitNames(ReadSized((buffer, size) => LibC.LListXattr(path, buffer, size), "llistxattr", path, allowMissing: false));

    /// <summary>Lists the attribute names of a directory entry, not following it.</summary>
    /// <param name="directory">The directory.</param>
    /// <param name="entryName">A single path component.</param>
    public static List<string> ListAt(SafeFileDescriptor directory, string entryName)
    {
        var added = false;
        try
        {
            directory.DangerousAddRef(ref added);
            return List(ProcPath(directory, entryName));
        }
        finally
        {
            if (added)
            {
                directory.DangerousRelease();
            }
        }
    }

    /// <summary>Removes an attribute from a path, not following a final symlink.</summary>
    /// <param name="path">The path.</param>
    /// <param name="name">The attribute name.</param>
    public static void Remove(string path, string name)
    {
        if (LibC.LRemoveXattr(path, name) != 0)
        {
            throw new NativeCallException(Marshal.GetLastPInvokeError(), "lremovexattr", path, name);
        }
    }

    private static string ProcPath(SafeFileDescriptor directory, string entryName)
    {
        if (entryName.Length == 0 || entryName.Contains('/') || entryName is "." or "..")
        {
            throw new ArgumentException($"'{entryName}' is not a single path component.", nameof(entryName));
        }

        return string.Create(CultureInfo.InvariantCulture, $"/proc/self/fd/{directory.Number}/{entryName}");
    }

    private delegate nint SizedCall(byte* buffer, nuint size);

    private static byte[]? ReadSized(SizedCall call, string syscall, string? path, bool allowMissing)
    {
        // Ask for the size, then read; retry if the value grew in between (ERANGE).
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var size = call(null, 0);
            if (size < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                return allowMissing && errno == Errno.ENODATA ? null : throw new NativeCallException(errno, syscall, path);
            }

            var buffer = new byte[size];
            fixed (byte* bytes = buffer)
            {
                var read = call(bytes, (nuint)buffer.Length);
                if (read >= 0)
                {
                    return read == buffer.Length ? buffer : buffer[..(int)read];
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.ERANGE)
                {
                    return allowMissing && errno == Errno.ENODATA ? null : throw new NativeCallException(errno, syscall, path);
                }
            }
        }

        throw new NativeCallException(Errno.ERANGE, syscall, path);
    }

    private static List<string> SplitNames(byte[]? list)
    {
        var names = new List<string>();
        var rest = list.AsSpan();
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf((byte)0);
            if (end < 0)
            {
                end = rest.Length;
            }

            if (end > 0)
            {
                names.Add(Encoding.UTF8.GetString(rest[..end]));
            }

            rest = rest[Math.Min(end + 1, rest.Length)..];
        }

        return names;
    }
}
