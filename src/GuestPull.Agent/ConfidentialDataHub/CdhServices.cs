using GuestPull.Api.Cdh;
using GuestPull.Ttrpc;

namespace GuestPull.Agent.ConfidentialDataHub;

/// <summary>
/// Binds confidential-data-hub's ttrpc API: <c>api.ImagePullService/PullImage</c> to the image service,
/// and every other method kata-agent (or a workload) may call to an Unimplemented answer that says
/// what is not served, rather than the server's generic "no such method".
/// </summary>
internal static class CdhServices
{
    public const string ImagePullService = "api.ImagePullService";

    /// <summary>The methods of the real CDH this one does not serve, with what each would have done.</summary>
    public static IReadOnlyList<(string Service, string Method, string What)> NotServed { get; } =
    [
        ("api.SealedSecretService", "UnsealSecret", "sealed secrets"),
        ("api.SecureMountService", "SecureMount", "secure mounts (encrypted block devices, remote storage)"),
        ("api.GetResourceService", "GetResource", "key broker resources"),
        ("keyprovider.KeyProviderService", "WrapKey", "ocicrypt key provision (encrypted image layers)"),
        ("keyprovider.KeyProviderService", "UnWrapKey", "ocicrypt key provision (encrypted image layers)"),
    ];

    public static void Register(TtrpcServer server, CdhImageService images)
    {
        server.Register(ImagePullService, "PullImage", ImagePullRequest.Parser, (_, request, ct) => images.PullAsync(request, ct));
        foreach (var (service, method, what) in NotServed)
        {
            var message = $"{service}/{method} is not served: GuestPull's confidential-data-hub serves image pull ({ImagePullService}/PullImage) only, not {what}";
            server.Register(service, method, (_, _, _) => Task.FromException<ReadOnlyMemory<byte>>(new TtrpcException(TtrpcStatusCode.Unimplemented, message)));
        }
    }
}
