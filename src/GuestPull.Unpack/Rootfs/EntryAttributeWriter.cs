using GuestPull.Linux;
using GuestPull.Unpack.Tar;

namespace GuestPull.Unpack.Rootfs;

/// <summary>
/// Applies an entry's extended attributes, on a descriptor or on a name in a parent directory; an attribute the
/// file system does not support is dropped with a warning rather than failing the layer.
/// </summary>
internal sealed class EntryAttributeWriter
{
    private readonly Action<LayerWarningKind, string, string> _warn;

    public EntryAttributeWriter(Action<LayerWarningKind, string, string> warn)
    {
        _warn = warn;
    }

    public void SetExtendedAttributes(SafeFileDescriptor file, TarEntry entry, EntryPath path)
    {
        // Names were checked against ExtendedAttributePolicy before the entry was written.
        foreach (var (name, value) in entry.ExtendedAttributes)
        {
            try
            {
                ExtendedAttributes.Set(file, name, value);
            }
            catch (NativeCallException e) when (e.Errno == Errno.EOPNOTSUPP)
            {
                _warn(LayerWarningKind.ExtendedAttributeUnsupported, path.Full, $"extended attribute '{name}' of '{path}' dropped: {e.Message}");
            }
        }
    }

    public void SetExtendedAttributesAt(SafeFileDescriptor parent, TarEntry entry, EntryPath path)
    {
        // Names were checked against ExtendedAttributePolicy before the entry was written.
        foreach (var (name, value) in entry.ExtendedAttributes)
        {
            try
            {
                ExtendedAttributes.SetAt(parent, path.Name, name, value);
            }
            catch (NativeCallException e) when (e.Errno == Errno.EOPNOTSUPP)
            {
                _warn(LayerWarningKind.ExtendedAttributeUnsupported, path.Full, $"extended attribute '{name}' of '{path}' dropped: {e.Message}");
            }
        }
    }
}
