using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Telemetry.Instrumentation;

namespace Telemetry.Flush;

/// <summary>
/// Streams the response but keeps its last byte until <see cref="ReleaseAsync"/>, so the client cannot hold a
/// <i>complete</i> response (Content-Length reached, or the connection's response ended) before the invocation's
/// telemetry is flushed. Chunked responses end only at completion anyway; the same mechanism keeps things simple.
/// </summary>
/// <remarks>
/// Every write passes all but its last byte through and keeps that byte; the next write (or the release) sends it
/// first. A start (<see cref="StartAsync"/>, an empty write, a flush with nothing passed through) is deferred to the
/// release, so a response without a body does not send its headers early. For HEAD, Kestrel discards the body, so
/// writes only count as a start request. All body bytes go to the inner feature's <see cref="PipeWriter"/> (one
/// channel, so the held byte keeps its place), except synchronous <see cref="Stream"/> writes, which go to the inner
/// stream so Kestrel's <c>AllowSynchronousIO</c> still applies. After the release everything passes straight through.
/// <para>
/// Once the app has written as many bytes as the response's <c>Content-Length</c> announces, nothing more is flushed
/// before the release: the rest of the body leaves with the held byte, in one write. A small response written at once
/// (the gateway's usual answer) thus costs one send, not two; what the app flushed itself has already gone.
/// </para>
/// Like any response body, it is used by one request at a time.
/// </remarks>
internal sealed class HoldBackResponseBody(IHttpResponseBodyFeature inner, bool bodyless, IHeaderDictionary? responseHeaders = null) : IHttpResponseBodyFeature
{
    private readonly IHttpResponseBodyFeature _inner = inner;
    private readonly bool _bodyless = bodyless;
    private readonly IHeaderDictionary? _responseHeaders = responseHeaders;
    private readonly byte[] _oneByte = new byte[1];
    private long _accepted;
    private HoldBackStream? _stream;
    private HoldBackPipeWriter? _writer;
    private bool _hasHeld;
    private bool _forwarded;
    private bool _startRequested;
    private bool _completeRequested;
    private bool _writerCompleted;
    private Exception? _writerException;
    private bool _released;

    // Inner memory lent to the handler through Writer: when a byte is held it sits at index 0, before the lent part.
    private Memory<byte> _lent;
    private int _lentOffset;

    public Stream Stream => _stream ??= new HoldBackStream(this);

    public PipeWriter Writer => _writer ??= new HoldBackPipeWriter(this);

    /// <summary>True once <see cref="ReleaseAsync"/> has run.</summary>
    public bool Released => _released;

    // The app has written the whole body its Content-Length announces: flushing before the release would only split
    // the response in two sends.
    private bool WholeBodyWritten => _responseHeaders?.ContentLength is { } length && _accepted >= length;

    private byte Held
    {
        get => _oneByte[0];
        set => _oneByte[0] = value;
    }

    public void DisableBuffering() => _inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_released)
        {
            return _inner.StartAsync(cancellationToken);
        }

        _startRequested = true;
        return Task.CompletedTask;
    }

    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        if (_released)
        {
            await _inner.SendFileAsync(path, offset, count, cancellationToken).ConfigureAwait(false);
            return;
        }

        var length = count ?? new FileInfo(path).Length - offset;
        if (length <= 0 || _bodyless)
        {
            // An empty or invalid range: the inner feature validates it (and starts the response), like a direct call.
            if (length < 0)
            {
                await _inner.SendFileAsync(path, offset, count, cancellationToken).ConfigureAwait(false);
            }

            _startRequested = true;
            return;
        }

        await ForwardHeldAsync(cancellationToken).ConfigureAwait(false);
        if (length > 1)
        {
            await _inner.SendFileAsync(path, offset, length - 1, cancellationToken).ConfigureAwait(false);
            _forwarded = true;
        }

        using var file = File.OpenHandle(path);
        if (await RandomAccess.ReadAsync(file, _oneByte, offset + length - 1, cancellationToken).ConfigureAwait(false) != 1)
        {
            throw new EndOfStreamException($"'{path}' ended before the range to send.");
        }

        _hasHeld = true;
    }

    public async Task CompleteAsync()
    {
        if (_released)
        {
            await _inner.CompleteAsync().ConfigureAwait(false);
            return;
        }

        _completeRequested = true;
        if (_forwarded && !WholeBodyWritten)
        {
            await _inner.Writer.FlushAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends the held byte (or starts the response if it was asked to start) and whatever completion was asked for;
    /// from then on everything passes straight through.
    /// </summary>
    public async Task ReleaseAsync()
    {
        if (_released)
        {
            return;
        }

        _released = true;
        var writer = _inner.Writer;
        if (_hasHeld)
        {
            _hasHeld = false;
            writer.GetSpan(1)[0] = Held;
            writer.Advance(1);
            await writer.FlushAsync().ConfigureAwait(false);
        }
        else if (_forwarded)
        {
            await writer.FlushAsync().ConfigureAwait(false);
        }
        else if (_startRequested)
        {
            await _inner.StartAsync().ConfigureAwait(false);
        }

        if (_writerCompleted)
        {
            await writer.CompleteAsync(_writerException).ConfigureAwait(false);
        }

        if (_completeRequested)
        {
            await _inner.CompleteAsync().ConfigureAwait(false);
        }
    }

    private ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken)
    {
        if (_released)
        {
            return _inner.Writer.WriteAsync(source, cancellationToken);
        }

        if (source.IsEmpty || _bodyless)
        {
            _startRequested = true;
            return default;
        }

        var writer = _inner.Writer;
        var hadHeld = _hasHeld;
        if (hadHeld)
        {
            writer.GetSpan(1)[0] = Held;
            writer.Advance(1);
        }

        Held = source.Span[^1];
        _hasHeld = true;
        _accepted += source.Length;
        if (source.Length == 1 && !hadHeld)
        {
            return default;
        }

        _forwarded = true;
        if (WholeBodyWritten)
        {
            writer.Write(source.Span[..^1]);
            return default;
        }

        return source.Length == 1 ? writer.FlushAsync(cancellationToken) : writer.WriteAsync(source[..^1], cancellationToken);
    }

    private void Write(ReadOnlySpan<byte> source)
    {
        if (_released)
        {
            _inner.Stream.Write(source);
            return;
        }

        if (source.IsEmpty || _bodyless)
        {
            _startRequested = true;
            return;
        }

        if (_hasHeld)
        {
            _inner.Stream.Write(_oneByte);
            _hasHeld = false;
            _forwarded = true;
        }

        if (source.Length > 1)
        {
            _inner.Stream.Write(source[..^1]);
            _forwarded = true;
        }

        Held = source[^1];
        _hasHeld = true;
    }

    private ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken)
    {
        if (_released || _forwarded)
        {
            return _inner.Writer.FlushAsync(cancellationToken);
        }

        // Nothing has been passed through: a flush now would only send the headers early.
        _startRequested = true;
        return default;
    }

    private async Task ForwardHeldAsync(CancellationToken cancellationToken)
    {
        if (_hasHeld)
        {
            _hasHeld = false;
            var writer = _inner.Writer;
            writer.GetSpan(1)[0] = Held;
            writer.Advance(1);
            _forwarded = true;
        }

        if (_forwarded)
        {
            await _inner.Writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private Memory<byte> GetMemory(int sizeHint)
    {
        if (_released || _bodyless)
        {
            return _inner.Writer.GetMemory(sizeHint);
        }

        _lentOffset = _hasHeld ? 1 : 0;
        _lent = _inner.Writer.GetMemory(Math.Max(sizeHint, 1) + _lentOffset);
        if (_hasHeld)
        {
            _lent.Span[0] = Held;
        }

        return _lent[_lentOffset..];
    }

    private void Advance(int bytes)
    {
        if (_released)
        {
            _inner.Writer.Advance(bytes);
            return;
        }

        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (_bodyless)
        {
            // The lent memory is never committed: Kestrel discards a HEAD body anyway.
            _startRequested = true;
            return;
        }

        if (bytes == 0)
        {
            return;
        }

        var total = _lentOffset + bytes;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(total, _lent.Length, nameof(bytes));
        _accepted += bytes;
        Held = _lent.Span[total - 1];
        _hasHeld = true;
        _lent = default;
        _lentOffset = 0;
        if (total > 1)
        {
            _inner.Writer.Advance(total - 1);
            _forwarded = true;
        }
    }

    private void CompleteWriter(Exception? exception)
    {
        if (_released)
        {
            _inner.Writer.Complete(exception);
            return;
        }

        _writerCompleted = true;
        _writerException = exception;
    }

    private sealed class HoldBackStream(HoldBackResponseBody owner) : WriteOnlyStream
    {
        public override void Flush()
        {
            if (owner._released || owner._forwarded)
            {
                owner._inner.Stream.Flush();
            }
            else
            {
                owner._startRequested = true;
            }
        }

        public override async Task FlushAsync(CancellationToken cancellationToken) =>
            await owner.FlushAsync(cancellationToken).ConfigureAwait(false);

        public override void Write(byte[] buffer, int offset, int count) => owner.Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer) => owner.Write(buffer);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var result = await owner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled)
            {
                // As Kestrel's own response stream does when a pending flush is cancelled.
                throw new OperationCanceledException("The response write was canceled.");
            }
        }
    }

    private sealed class HoldBackPipeWriter(HoldBackResponseBody owner) : PipeWriter
    {
        public override bool CanGetUnflushedBytes => owner._inner.Writer.CanGetUnflushedBytes;

        public override long UnflushedBytes => owner._inner.Writer.UnflushedBytes + (owner._hasHeld ? 1 : 0);

        public override void Advance(int bytes) => owner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => owner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => owner.GetMemory(sizeHint).Span;

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => owner.FlushAsync(cancellationToken);

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
            owner.WriteAsync(source, cancellationToken);

        public override void CancelPendingFlush() => owner._inner.Writer.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => owner.CompleteWriter(exception);

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            if (owner._released)
            {
                await owner._inner.Writer.CompleteAsync(exception).ConfigureAwait(false);
                return;
            }

            if (!owner.WholeBodyWritten)
            {
                await owner.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }

            owner.CompleteWriter(exception);
        }
    }
}
