using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using GuestPull.Api.Ocicrypt.KeyProvider;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GuestPull.IntegrationTests.Encryption;

/// <summary>
/// A <c>grpc</c> key provider of the tests' own, like a key broker: <c>keyprovider.KeyProviderService</c>
/// on 127.0.0.1 (plain HTTP/2), WrapKey keeps the layer's private options in memory and returns a random
/// handle as the annotation, UnWrapKey gives them back for a known handle and fails for any other.
/// </summary>
internal sealed class GrpcKeyProviderServer : IAsyncDisposable
{
    public const string Name = "testgrpc";

    private readonly WebApplication _app;

    private GrpcKeyProviderServer(WebApplication app, Vault vault, string address)
    {
        _app = app;
        Keys = vault;
        Address = address;
    }

    /// <summary>HOST:PORT, as a key provider config names it.</summary>
    public string Address { get; }

    public Vault Keys { get; }

    public static async Task<GrpcKeyProviderServer> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        var vault = new Vault();
        builder.Services.AddSingleton(vault);
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<Service>();
        await app.StartAsync(cancellationToken);
        var port = new Uri(app.Urls.Single()).Port;
        return new GrpcKeyProviderServer(app, vault, $"127.0.0.1:{port}");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    /// <summary>The provider's keys by handle, and how many unwraps it answered.</summary>
    public sealed class Vault
    {
        private int _unwraps;

        public ConcurrentDictionary<string, byte[]> Entries { get; } = new();

        public int Unwraps => _unwraps;

        public void CountUnwrap() => Interlocked.Increment(ref _unwraps);
    }

    private sealed class Service(Vault vault) : KeyProviderService.KeyProviderServiceBase
    {
        public override Task<keyProviderKeyWrapProtocolOutput> WrapKey(keyProviderKeyWrapProtocolInput request, ServerCallContext context)
        {
            using var input = JsonDocument.Parse(request.KeyProviderKeyWrapProtocolInput.Memory);
            var opts = input.RootElement.GetProperty("keywrapparams").GetProperty("optsdata").GetBytesFromBase64();
            var handle = Guid.NewGuid().ToString("N");
            vault.Entries[handle] = opts;
            return Task.FromResult(Reply(new { keywrapresults = new { annotation = System.Text.Encoding.UTF8.GetBytes(handle) } }));
        }

        public override Task<keyProviderKeyWrapProtocolOutput> UnWrapKey(keyProviderKeyWrapProtocolInput request, ServerCallContext context)
        {
            vault.CountUnwrap();
            using var input = JsonDocument.Parse(request.KeyProviderKeyWrapProtocolInput.Memory);
            if (input.RootElement.GetProperty("op").GetString() != "keyunwrap")
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "op is not keyunwrap"));
            }

            var handle = System.Text.Encoding.UTF8.GetString(input.RootElement.GetProperty("keyunwrapparams").GetProperty("annotation").GetBytesFromBase64());
            if (!vault.Entries.TryGetValue(handle, out var opts))
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied, "unknown key handle"));
            }

            return Task.FromResult(Reply(new { keyunwrapresults = new { optsdata = opts } }));
        }

        private static keyProviderKeyWrapProtocolOutput Reply<T>(T value)
            => new() { KeyProviderKeyWrapProtocolOutput = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(value)) };
    }
}
