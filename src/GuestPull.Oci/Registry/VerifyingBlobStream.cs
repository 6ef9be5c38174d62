using System.Security.Cryptography;
using GuestPull.Oci.Model;

namespace GuestPull.Oci.Registry;

/// <summary>
/// A read-only stream over a blob download that hashes and counts every byte as it passes, fails
/// as soon as more bytes arrive than the descriptor's size, verifies size and digest at the end of
/// the stream, and resumes with a <c>Range</c> request when the connection drops or stalls. The
/// digest is always checked over the whole blob, resumed or not.
/// </summary>
internal sealed class VerifyingBlobStream : Stream
{
    private readonly Func<long, CancellationToken, Task<Stream>> _open;
    private readonly Descriptor _descriptor;
    private readonly string _what;
    private readonly int _maxResumes;
    private readonly TimeSpan _idleTimeout;
    private readonly string? _source;
    private readonly IncrementalHash _hash;
    private Stream? _current;
    private long _position;
    private int _resumes;
    private bool _verified;

    /// <param name="open">Opens the blob from a byte offset (0 at first; later, a resume).</param>
    /// <param name="first">The already opened stream at offset 0, if any.</param>
    /// <param name="descriptor">The expected size and digest.</param>
    /// <param name="what">Names the blob in error messages.</param>
    /// <param name="maxResumes">How many resumes are allowed.</param>
    /// <param name="idleTimeout">How long a read may wait for a byte before the connection counts as dropped.</param>
    /// <param name="source">The registry or mirror serving the blob, for messages.</param>
    public VerifyingBlobStream(Func<long, CancellationToken, Task<Stream>> open, Stream? first, Descriptor descriptor, string what, int maxResumes, TimeSpan idleTimeout, string? source = null)
    {
        _source = source;
        _open = open;
        _current = first;
        _descriptor = descriptor;
        _what = what;
        _maxResumes = maxResumes;
        _idleTimeout = idleTimeout;
        _hash = descriptor.Digest.CreateHash();
    }

    /// <summary>How many times the download was resumed.</summary>
    public int Resumes => _resumes;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _descriptor.Size;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }

        while (true)
        {
            if (_verified)
            {
                return 0;
            }

            int read;
            using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                idle.CancelAfter(_idleTimeout);
                try
                {
                    _current ??= await _open(_position, idle.Token).ConfigureAwait(false);
                    read = await _current.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (_resumes < _maxResumes && (ex is RegistryException { StatusCode: null } and not ContentVerificationException || RegistryTransport.IsTransient(ex, cancellationToken)))
                {
                    _resumes++;
                    await DropCurrentAsync().ConfigureAwait(false);
                    continue;
                }
                catch (Exception ex) when (RegistryTransport.IsTransient(ex, cancellationToken))
                {
                    // The idle time-out's cancellation says only "canceled": name what happened instead.
                    var reason = ex is OperationCanceledException
                        ? $"the connection{(_source is null ? string.Empty : " to " + _source)} stalled: no data for {_idleTimeout.TotalSeconds:0.###} s"
                        : ex.Message;
                    throw new RegistryException($"{_what}: download failed at byte {_position} of {_descriptor.Size} after {DescribeResumes()}: {reason}", innerException: ex);
                }
            }

            if (read == 0)
            {
                if (_position < _descriptor.Size && _resumes < _maxResumes)
                {
                    // The server closed the body early without an error: treat it as a dropped connection.
                    _resumes++;
                    await DropCurrentAsync().ConfigureAwait(false);
                    continue;
                }

                Verify();
                return 0;
            }

            if (_position + read > _descriptor.Size)
            {
                throw new ContentVerificationException($"{_what}: the registry sent more than the {_descriptor.Size} bytes the descriptor declares");
            }

            _hash.AppendData(buffer.Span[..read]);
            _position += read;
            return read;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Synchronous reads would block a thread on the network; every consumer here reads asynchronously.</summary>
    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("VerifyingBlobStream is read asynchronously only");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await DropCurrentAsync().ConfigureAwait(false);
        _hash.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _current?.Dispose();
            _current = null;
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Verify()
    {
        if (_position != _descriptor.Size)
        {
            throw new ContentVerificationException($"{_what}: size mismatch: expected {_descriptor.Size} bytes, received {_position} (the body ended early after {DescribeResumes()})");
        }

        var actual = Digest.FromHash(_descriptor.Digest.Algorithm, _hash.GetHashAndReset());
        if (actual != _descriptor.Digest)
        {
            throw new ContentVerificationException($"{_what}: digest mismatch: expected {_descriptor.Digest}, content hashes to {actual}");
        }

        _verified = true;
    }

    private string DescribeResumes() =>
        (_resumes == 1 ? "1 resume" : $"{_resumes} resumes") + $" (at most {_maxResumes}: the retry limit)";

    private async ValueTask DropCurrentAsync()
    {
        if (_current is not null)
        {
            await _current.DisposeAsync().ConfigureAwait(false);
            _current = null;
        }
    }
}
