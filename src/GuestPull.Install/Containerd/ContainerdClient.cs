using Grpc.Core;
using Grpc.Net.Client;
using GuestPull.Api.Containerd.Content.V1;
using GuestPull.Api.Containerd.Images.V1;
using GuestPull.Api.Containerd.Snapshots.V1;
using GuestPull.Api.Containerd.Version.V1;
using Google.Protobuf.WellKnownTypes;

namespace GuestPull.Install.Containerd;

/// <summary>The few containerd services the installer and doctor call: Version, Images, Content and Snapshots.</summary>
internal sealed class ContainerdClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly string _address;

    public ContainerdClient(string address)
    {
        _address = address;
        _channel = ContainerdGrpc.CreateChannel(address);
    }

    public async Task<ContainerdVersion> GetVersionAsync(CancellationToken cancellationToken)
    {
        var client = new Api.Containerd.Version.V1.Version.VersionClient(_channel);
        var response = await Call(() => client.VersionAsync(new Empty(), deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync)
            .ConfigureAwait(false);
        return ContainerdVersion.Parse(response.Version);
    }

    /// <summary>Every image name in <paramref name="containerdNamespace"/>.</summary>
    public async Task<IReadOnlyList<string>> ListImagesAsync(string containerdNamespace, CancellationToken cancellationToken)
    {
        var client = new Images.ImagesClient(_channel);
        var response = await Call(() => client.ListAsync(new ListImagesRequest(), ContainerdGrpc.Namespace(containerdNamespace), Deadline(), cancellationToken).ResponseAsync)
            .ConfigureAwait(false);
        return [.. response.Images.Select(image => image.Name)];
    }

    /// <summary>Every image record in <paramref name="containerdNamespace"/>: its name and the manifest or index it points at.</summary>
    public async Task<IReadOnlyList<ContainerdImage>> ListImageRecordsAsync(string containerdNamespace, CancellationToken cancellationToken)
    {
        var client = new Images.ImagesClient(_channel);
        var response = await Call(() => client.ListAsync(new ListImagesRequest(), ContainerdGrpc.Namespace(containerdNamespace), Deadline(), cancellationToken).ResponseAsync)
            .ConfigureAwait(false);
        return [.. response.Images.Select(image => new ContainerdImage(image.Name, image.Target?.Digest ?? string.Empty, image.Target?.MediaType ?? string.Empty))];
    }

    /// <summary>A whole blob of containerd's content store; null when the store does not hold it.</summary>
    /// <exception cref="InstallException">The blob is larger than <paramref name="maxBytes"/>, or containerd failed.</exception>
    public async Task<byte[]?> ReadContentAsync(string containerdNamespace, string digest, int maxBytes, CancellationToken cancellationToken)
    {
        var client = new Content.ContentClient(_channel);
        using var buffer = new MemoryStream();
        try
        {
            using var call = client.Read(new ReadContentRequest { Digest = digest }, ContainerdGrpc.Namespace(containerdNamespace), Deadline(), cancellationToken);
            while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                var data = call.ResponseStream.Current.Data;
                if (buffer.Length + data.Length > maxBytes)
                {
                    throw new InstallException($"containerd's blob {digest} is larger than {maxBytes} bytes; it is not a manifest or an image config");
                }
                data.WriteTo(buffer);
            }
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
        catch (RpcException ex)
        {
            throw Failed(ex);
        }
        return buffer.ToArray();
    }

    /// <summary>Whether containerd's content store holds the blob <paramref name="digest"/>.</summary>
    public async Task<bool> HasContentAsync(string containerdNamespace, string digest, CancellationToken cancellationToken)
    {
        var client = new Content.ContentClient(_channel);
        try
        {
            await Call(() => client.InfoAsync(new InfoRequest { Digest = digest }, ContainerdGrpc.Namespace(containerdNamespace), Deadline(), cancellationToken).ResponseAsync)
                .ConfigureAwait(false);
            return true;
        }
        catch (InstallException ex) when (ex.InnerException is RpcException { StatusCode: StatusCode.NotFound })
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="snapshotter"/> holds a snapshot named <paramref name="key"/> (a committed layer's ChainID).</summary>
    public async Task<bool> HasSnapshotAsync(string containerdNamespace, string snapshotter, string key, CancellationToken cancellationToken)
    {
        var client = new Snapshots.SnapshotsClient(_channel);
        try
        {
            await Call(() => client.StatAsync(new StatSnapshotRequest { Snapshotter = snapshotter, Key = key }, ContainerdGrpc.Namespace(containerdNamespace), Deadline(), cancellationToken).ResponseAsync)
                .ConfigureAwait(false);
            return true;
        }
        catch (InstallException ex) when (ex.InnerException is RpcException { StatusCode: StatusCode.NotFound })
        {
            return false;
        }
    }

    /// <summary>Deletes one image (synchronously garbage-collected); false when it did not exist.</summary>
    public async Task<bool> DeleteImageAsync(string containerdNamespace, string name, CancellationToken cancellationToken)
    {
        var client = new Images.ImagesClient(_channel);
        try
        {
            await Call(() => client.DeleteAsync(new DeleteImageRequest { Name = name, Sync = true }, ContainerdGrpc.Namespace(containerdNamespace), Deadline(), cancellationToken).ResponseAsync)
                .ConfigureAwait(false);
            return true;
        }
        catch (InstallException ex) when (ex.InnerException is RpcException { StatusCode: StatusCode.NotFound })
        {
            return false;
        }
    }

    public void Dispose() => _channel.Dispose();

    private static DateTime Deadline() => DateTime.UtcNow.AddMinutes(2);

    private async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw Failed(ex);
        }
    }

    private InstallException Failed(RpcException ex)
    {
        var what = ContainerdGrpc.IsUnreachable(ex) ? "is not answering" : "refused the call";
        return new InstallException($"containerd at {_address} {what}: {ex.Status.StatusCode} {ex.Status.Detail}", ex);
    }
}
