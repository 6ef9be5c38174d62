using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using GuestPull.Api.Ocicrypt.KeyProvider;

namespace GuestPull.Ocicrypt.KeyProviders;

/// <summary>
/// Asks a key provider to unwrap a layer key: a <c>cmd</c> provider is run with the request on stdin and
/// answers on stdout (exit status 0); a <c>grpc</c> provider is called at <c>keyprovider.KeyProviderService/UnWrapKey</c>
/// over plain HTTP/2, the request and reply JSON carried in the single bytes field of each message.
/// </summary>
public sealed class KeyProviderClient
{
    /// <summary>How long one provider may take before the attempt fails.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The provider's private options for <paramref name="annotation"/>; throws <see cref="KeyProviderException"/> naming the provider and its answer.</summary>
    /// <param name="provider">The provider.</param>
    /// <param name="annotation">One wrapped key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<byte[]> UnwrapAsync(KeyProviderEntry provider, byte[] annotation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(annotation);
        var request = KeyProviderProtocol.UnwrapRequest(annotation);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        byte[] reply;
        try
        {
            reply = provider.CommandPath is not null
                ? await RunCommandAsync(provider, request, timeout.Token).ConfigureAwait(false)
                : await CallGrpcAsync(provider, request, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new KeyProviderException($"{provider}: no answer within {Timeout.TotalSeconds:0} s");
        }

        try
        {
            return KeyProviderProtocol.ParseUnwrapReply(reply);
        }
        catch (FormatException e)
        {
            throw new KeyProviderException($"{provider}: {e.Message}", e);
        }
    }

    private static async Task<byte[]> RunCommandAsync(KeyProviderEntry provider, byte[] request, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(provider.CommandPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in provider.CommandArguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new KeyProviderException($"{provider}: cannot run: {e.Message}", e);
        }

        try
        {
            var stdout = new MemoryStream();
            var copyOut = process.StandardOutput.BaseStream.CopyToAsync(stdout, cancellationToken);
            var readErr = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.StandardInput.BaseStream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The provider exited without reading its input; its status and stderr say why.
            }

            await copyOut.ConfigureAwait(false);
            var stderr = await readErr.ConfigureAwait(false);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new KeyProviderException($"{provider}: exit status {process.ExitCode}: {stderr.Trim()}");
            }

            return stdout.ToArray();
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    private static async Task<byte[]> CallGrpcAsync(KeyProviderEntry provider, byte[] request, CancellationToken cancellationToken)
    {
        var address = provider.GrpcAddress!.Contains("://", StringComparison.Ordinal) ? provider.GrpcAddress : "http://" + provider.GrpcAddress;
        using var channel = GrpcChannel.ForAddress(address);
        var client = new KeyProviderService.KeyProviderServiceClient(channel);
        try
        {
            var reply = await client.UnWrapKeyAsync(
                new keyProviderKeyWrapProtocolInput { KeyProviderKeyWrapProtocolInput = ByteString.CopyFrom(request) },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return reply.KeyProviderKeyWrapProtocolOutput.ToByteArray();
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
        {
            throw new KeyProviderException($"{provider}: {e.Status.StatusCode}: {e.Status.Detail}", e);
        }
    }
}
