using System.Net;
using GuestPull.Images.Signatures;
using GuestPull.Oci.Model;
using GuestPull.Testing;

namespace GuestPull.Images.Tests.Signatures;

/// <summary>A lookaside store served over HTTP: signature-1, signature-2, … until the first 404; other errors are reported.</summary>
public sealed class HttpLookasideTests : IAsyncLifetime
{
    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly List<string> _requests = [];
    private Task _serving = Task.CompletedTask;
    private string _base = string.Empty;

    public Task InitializeAsync()
    {
        _base = $"http://127.0.0.1:{FreePort.Get()}/sigs/";
        _listener.Prefixes.Add(_base);
        _listener.Start();
        _serving = ServeAsync();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        // Close alone: after Stop, the managed listener's Close binds the port again to remove the prefix,
        // and fails with "Address already in use" when a parallel test took the port meanwhile.
        _listener.Close();
        await _serving.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var path = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath);
            lock (_requests)
            {
                _requests.Add(path);
            }

            if (_files.TryGetValue(path, out var body))
            {
                context.Response.StatusCode = body.Length == 0 ? 500 : 200;
                await context.Response.OutputStream.WriteAsync(body);
            }
            else
            {
                context.Response.StatusCode = 404;
            }

            context.Response.Close();
        }
    }

    [Fact]
    public async Task SignaturesAreReadInOrderUntilTheFirstMissingOne()
    {
        var digest = Digest.ComputeSha256("{}"u8);
        var image = ImageReference.Parse("registry.example.com/team/app:1");
        _files[$"/sigs/team/app@sha256={digest.Hex}/signature-1"] = [1];
        _files[$"/sigs/team/app@sha256={digest.Hex}/signature-2"] = [2];
        using var http = new HttpClient();
        var fetched = await LookasideSignatureFetcher.FetchAsync(new Uri(_base), image, digest, () => http, CancellationToken.None);
        Assert.Null(fetched.Error);
        Assert.Equal([[1], [2]], fetched.Signatures);
        lock (_requests)
        {
            Assert.Equal(3, _requests.Count);
            Assert.EndsWith("/signature-3", _requests[2], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AServerErrorIsReportedNotTakenAsTheEnd()
    {
        var digest = Digest.ComputeSha256("[]"u8);
        var image = ImageReference.Parse("registry.example.com/team/app:1");
        _files[$"/sigs/team/app@sha256={digest.Hex}/signature-1"] = [];
        using var http = new HttpClient();
        var fetched = await LookasideSignatureFetcher.FetchAsync(new Uri(_base), image, digest, () => http, CancellationToken.None);
        Assert.Empty(fetched.Signatures);
        Assert.Contains("the server answered 500", fetched.Error, StringComparison.Ordinal);
    }
}
