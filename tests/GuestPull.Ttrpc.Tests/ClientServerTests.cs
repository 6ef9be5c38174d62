using Google.Protobuf.WellKnownTypes;
using GuestPull.Ttrpc.Tests.Protos;
using GuestPull.Ttrpc.Tests.Support;

namespace GuestPull.Ttrpc.Tests;

public sealed class ClientServerTests
{
    private const string Service = ServerHarness.Service;

    [Fact]
    public async Task CallAsync_RoundTripsTypedMessagesOverAUnixSocket()
    {
        await using var harness = ServerHarness.Start(server => server.Register(
            Service, "Echo", EchoRequest.Parser,
            (context, request, _) => Task.FromResult(new EchoResponse { Text = $"{context.Service}/{context.Method}: {request.Text}" })));
        var client = await harness.ConnectAsync();

        var response = await client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest { Text = "hello" });

        Assert.Equal($"{Service}/Echo: hello", response.Text);
    }

    [Fact]
    public async Task CallAsync_RawOverload_PassesBytesThrough()
    {
        await using var harness = ServerHarness.Start(server => server.Register(
            Service, "Reverse",
            (_, request, _) => Task.FromResult<ReadOnlyMemory<byte>>(request.ToArray().Reverse().ToArray())));
        var client = await harness.ConnectAsync();

        var response = await client.CallAsync(Service, "Reverse", new byte[] { 1, 2, 3 });

        Assert.Equal(new byte[] { 3, 2, 1 }, response.ToArray());
    }

    [Fact]
    public async Task CallAsync_MetadataReachesTheHandlerInOrderWithRepeatedKeys()
    {
        await using var harness = ServerHarness.Start(server => server.Register(
            Service, "Echo", EchoRequest.Parser,
            (context, _, _) =>
            {
                var response = new EchoResponse { Text = context.Metadata.ContainerdNamespace ?? "(none)" };
                response.Metadata.AddRange(context.Metadata.Select(entry => $"{entry.Key}={entry.Value}"));
                return Task.FromResult(response);
            }));
        var client = await harness.ConnectAsync();
        var metadata = TtrpcMetadata.ForContainerdNamespace("k8s.io");
        metadata.Add("x-trace", "a");
        metadata.Add("x-trace", "b");

        var response = await client.CallAsync<EchoRequest, EchoResponse>(
            Service, "Echo", new EchoRequest(), new TtrpcCallOptions { Metadata = metadata });

        Assert.Equal("k8s.io", response.Text);
        Assert.Equal(["containerd-namespace-ttrpc=k8s.io", "x-trace=a", "x-trace=b"], response.Metadata);
    }

    [Fact]
    public async Task CallAsync_UnknownServiceOrMethod_IsUnimplementedWithUpstreamMessages()
    {
        await using var harness = ServerHarness.Start(server => server.Register(
            Service, "Echo", EchoRequest.Parser, (_, _, _) => Task.FromResult(new EchoResponse())));
        var client = await harness.ConnectAsync();

        var noService = await Assert.ThrowsAsync<TtrpcException>(
            () => client.CallAsync<EchoRequest, EchoResponse>("no.such.Service", "Echo", new EchoRequest()));
        var noMethod = await Assert.ThrowsAsync<TtrpcException>(
            () => client.CallAsync<EchoRequest, EchoResponse>(Service, "Nope", new EchoRequest()));

        Assert.Equal(TtrpcStatusCode.Unimplemented, noService.StatusCode);
        Assert.Equal("service no.such.Service", noService.StatusMessage);
        Assert.Equal(TtrpcStatusCode.Unimplemented, noMethod.StatusCode);
        Assert.Equal("method Nope", noMethod.StatusMessage);
    }

    [Fact]
    public async Task CallAsync_HandlerTtrpcException_KeepsCodeMessageAndDetails()
    {
        await using var harness = ServerHarness.Start(server => server.Register(
            Service, "Echo", EchoRequest.Parser,
            Task<EchoResponse> (_, request, _) => throw new TtrpcException(
                TtrpcStatusCode.NotFound,
                $"container {request.Text} not found",
                [Any.Pack(new StringValue { Value = "detail" })],
                innerException: null)));
        var client = await harness.ConnectAsync();

        var error = await Assert.ThrowsAsync<TtrpcException>(
            () => client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest { Text = "c1" }));

        Assert.Equal(TtrpcStatusCode.NotFound, error.StatusCode);
        Assert.Equal("container c1 not found", error.StatusMessage);
        Assert.Equal("detail", Assert.Single(error.Details).Unpack<StringValue>().Value);
        Assert.Contains("NotFound", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallAsync_HandlerOrdinaryExceptions_MapToUnknownOrAFittingCode()
    {
        await using var harness = ServerHarness.Start(server =>
        {
            server.Register(Service, "Boom", EchoRequest.Parser,
                Task<EchoResponse> (_, _, _) => throw new InvalidOperationException("the disk caught fire"));
            server.Register(Service, "BadArgument", EchoRequest.Parser,
                Task<EchoResponse> (_, _, _) => throw new ArgumentException("id must not be empty"));
            server.Register(Service, "Missing", EchoRequest.Parser,
                Task<EchoResponse> (_, _, _) => throw new FileNotFoundException("no bundle"));
        });
        var client = await harness.ConnectAsync();

        var boom = await Assert.ThrowsAsync<TtrpcException>(
            () => client.CallAsync<EchoRequest, EchoResponse>(Service, "Boom", new EchoRequest()));
        var bad = await Assert.ThrowsAsync<TtrpcException>(
            () => client.CallAsync<EchoRequest, EchoResponse>(Service, "BadArgument", new EchoRequest()));
        var missing = await Assert.ThrowsAsync<TtrpcException>(
            () => client.CallAsync<EchoRequest, EchoResponse>(Service, "Missing", new EchoRequest()));

        Assert.Equal((TtrpcStatusCode.Unknown, "the disk caught fire"), (boom.StatusCode, boom.StatusMessage));
        Assert.Equal((TtrpcStatusCode.InvalidArgument, "id must not be empty"), (bad.StatusCode, bad.StatusMessage));
        Assert.Equal((TtrpcStatusCode.NotFound, "no bundle"), (missing.StatusCode, missing.StatusMessage));
    }

    [Fact]
    public async Task CallAsync_UndecodableRequestPayload_IsInternalLikeUpstream()
    {
        await using var harness = ServerHarness.Start(server => server.Register(
            Service, "Echo", EchoRequest.Parser, (_, _, _) => Task.FromResult(new EchoResponse())));
        var client = await harness.ConnectAsync();

        // Field 1 declared as a 100-byte string with only 1 byte present.
        var error = await Assert.ThrowsAsync<TtrpcException>(() => client.CallAsync(Service, "Echo", new byte[] { 0x0A, 100, 1 }));

        Assert.Equal(TtrpcStatusCode.Internal, error.StatusCode);
        Assert.StartsWith("error unmarshalling payload", error.StatusMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallAsync_OneHandlerFailing_LeavesTheConnectionUsable()
    {
        await using var harness = ServerHarness.Start(server =>
        {
            server.Register(Service, "Boom", EchoRequest.Parser, Task<EchoResponse> (_, _, _) => throw new InvalidOperationException("x"));
            server.Register(Service, "Echo", EchoRequest.Parser, (_, r, _) => Task.FromResult(new EchoResponse { Text = r.Text }));
        });
        var client = await harness.ConnectAsync();

        await Assert.ThrowsAsync<TtrpcException>(() => client.CallAsync<EchoRequest, EchoResponse>(Service, "Boom", new EchoRequest()));
        var response = await client.CallAsync<EchoRequest, EchoResponse>(Service, "Echo", new EchoRequest { Text = "still here" });

        Assert.Equal("still here", response.Text);
    }

    [Fact]
    public async Task Register_SameMethodTwice_IsRefused()
    {
        await using var server = new TtrpcServer();
        server.Register(Service, "Echo", (_, request, _) => Task.FromResult(request));

        var error = Assert.Throws<InvalidOperationException>(() => server.Register(Service, "Echo", (_, request, _) => Task.FromResult(request)));

        Assert.Contains($"{Service}/Echo is already registered", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_NoSocket_IsUnavailableNamingThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), $"guestpull-missing-{Guid.NewGuid():N}.sock");

        var error = await Assert.ThrowsAsync<TtrpcException>(() => TtrpcClient.ConnectAsync("unix://" + path));

        Assert.Equal(TtrpcStatusCode.Unavailable, error.StatusCode);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }
}
