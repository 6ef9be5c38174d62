using Grpc.Core;
using Grpc.Net.Client;
using GuestPull.Api.Containerd.Images.V1;
using GuestPull.Api.Containerd.Version.V1;
using Google.Protobuf.WellKnownTypes;

namespace GuestPull.Install.Containerd;

/// <summary>The few containerd services the installer and doctor call: Version and Images.</summary>
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
            var what = ContainerdGrpc.IsUnreachable(ex) ? "is not answering" : "refused the call";
            throw new InstallException($"containerd at {_address} {what}: {ex.Status.StatusCode} {ex.Status.Detail}", ex);
        }
    }
}
