using Google.Protobuf.WellKnownTypes;
using GuestPull.Snapshotter.Mounts;
using GuestPull.Api.Containerd.Snapshots.V1;
using GuestPull.Api.Containerd.Types;
using GuestPull.Snapshotter.Storage;

namespace GuestPull.Snapshotter.Service;

/// <summary>Store and mount models to and from containerd's wire messages.</summary>
internal static class ProtoConversions
{
    public static Info ToInfo(SnapshotRecord record)
    {
        var info = new Info
        {
            Name = record.Key,
            Parent = record.Parent ?? string.Empty,
            Kind = (Kind)(int)record.Kind,
            CreatedAt = Timestamp.FromDateTimeOffset(record.Created),
            UpdatedAt = Timestamp.FromDateTimeOffset(record.Updated),
        };
        foreach (var (key, value) in record.Labels)
        {
            info.Labels[key] = value;
        }
        return info;
    }

    public static IEnumerable<Mount> ToMounts(IReadOnlyList<MountSpec> mounts) =>
        mounts.Select(spec =>
        {
            var mount = new Mount { Type = spec.Type, Source = spec.Source };
            mount.Options.Add(spec.Options);
            return mount;
        });
}
