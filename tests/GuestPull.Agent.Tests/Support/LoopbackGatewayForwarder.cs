using System.Net;
using System.Net.Sockets;

namespace GuestPull.Agent.Tests.Support;

/// Plays a VM's view of a registry on the node's loopback without a VM: the registry is named
/// 127.0.0.1:PORT, yet that port on 127.0.0.1 is held bound and not listening (a connection there is
/// refused, as the guest's own loopback would refuse it), while 127.0.0.2:PORT, standing in for the
/// gateway, forwards every connection to the real registry.
internal sealed class LoopbackGatewayForwarder : IAsyncDisposable
{
    public static readonly IPAddress Gateway = IPAddress.Parse("127.0.0.2");

    private readonly Socket _reserved;
    private readonly TcpListener _listener;
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _connections;

    private LoopbackGatewayForwarder(Socket reserved, int port, IPEndPoint upstream)
    {
        _reserved = reserved;
        _upstream = upstream;
        Port = port;
        _listener = new TcpListener(new IPEndPoint(Gateway, port));
        _listener.Start();
        _loop = AcceptAsync();
    }

    public int Port { get; }

    /// The registry's name as images carry it: "127.0.0.1:PORT".
    public string RegistryHost => $"127.0.0.1:{Port}";

    public int Connections => Volatile.Read(ref _connections);

    /// <param name="upstreamHost">The real registry, "127.0.0.1:PORT".</param>
    public static LoopbackGatewayForwarder Start(string upstreamHost)
    {
        var reserved = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        reserved.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        try
        {
            return new LoopbackGatewayForwarder(reserved, ((IPEndPoint)reserved.LocalEndPoint!).Port, IPEndPoint.Parse(upstreamHost));
        }
        catch
        {
            reserved.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }

        _listener.Dispose();
        _reserved.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(_upstream, _stop.Token);
                var toUpstream = client.GetStream().CopyToAsync(upstream.GetStream(), _stop.Token);
                var toClient = upstream.GetStream().CopyToAsync(client.GetStream(), _stop.Token);
                // Either side closing ends the pair: HTTP/1.1 here has no half-closed exchanges.
                await Task.WhenAny(toUpstream, toClient);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }
}
