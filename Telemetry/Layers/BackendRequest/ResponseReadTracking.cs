using System.Diagnostics;
using System.Net;
using Telemetry.Instrumentation;

namespace Telemetry.Layers.BackendRequest;

/// <summary>
/// What one backend records about reading its response bodies (§4.6, §5.6): built once per backend, shared by every
/// <see cref="ResponseReadTracker"/>.
/// </summary>
internal sealed class ResponseReadTracking
{
    /// <summary>The body-read span's name (KrakenD's prefix plus <c>tracker</c>).</summary>
    public const string SpanName = ReadInstruments.Prefix + "tracker";

    public const string SizeAttribute = ReadInstruments.Prefix + "size";
    public const string TimeAttribute = ReadInstruments.Prefix + "time";

    public ResponseReadTracking(
        ActivitySource activitySource,
        ReadInstruments? instruments,
        KeyValuePair<string, object?>[] metricTags,
        KeyValuePair<string, object?>[]? traceTags)
    {
        ActivitySource = activitySource;
        Instruments = instruments;
        MetricTags = metricTags;
        MetricTagsWithError = [.. metricTags, new(TelemetryAttributes.Error, "true")];
        TraceTags = traceTags;
    }

    public ActivitySource ActivitySource { get; }

    /// <summary>Null when <c>metrics.read_payload</c> is off.</summary>
    public ReadInstruments? Instruments { get; }

    /// <summary>The backend's fixed metric attributes (configured method, routes, static attributes).</summary>
    public KeyValuePair<string, object?>[] MetricTags { get; }

    /// <summary><see cref="MetricTags"/> plus <c>error="true"</c> (a string, as in KrakenD).</summary>
    public KeyValuePair<string, object?>[] MetricTagsWithError { get; }

    /// <summary>The backend-request span's fixed attributes; null when <c>traces.read_payload</c> is off (no span).</summary>
    public KeyValuePair<string, object?>[]? TraceTags { get; }

    /// <summary>True when a read of this response would record anything.</summary>
    public bool IsActive => (Instruments?.AnyEnabled ?? false) || (TraceTags is not null && ActivitySource.HasListeners());
}

/// <summary>
/// The state of reading one response body: bytes and time from the first read to end of stream, a read error or
/// close, whichever comes first; recorded once. The span starts at the first read, so an unread body has none; its
/// metrics are recorded with size 0 and time 0 (KrakenD records ~9.2e9 s there, Q5).
/// </summary>
internal sealed class ResponseReadTracker(ResponseReadTracking tracking, ActivityContext parent)
{
    private long _startedAt;
    private long _bytes;
    private Activity? _span;
    private int _finished;

    /// <summary>Called before every read: the first one starts the clock and the span.</summary>
    public void Reading()
    {
        if (_startedAt != 0)
        {
            return;
        }

        _startedAt = Stopwatch.GetTimestamp();
        if (tracking.TraceTags is { } tags)
        {
            // The reader's flow must not run under the read span: the span ends wherever reading ends. Going back to
            // the execution context of just before the start undoes the start's Activity.Current without a new one.
            var current = Activity.Current;
            var before = ExecutionContext.Capture();
            _span = tracking.ActivitySource.StartActivity(ResponseReadTracking.SpanName, ActivityKind.Internal, parent);
            if (_span is not null)
            {
                if (before is not null && Activity.Current == _span)
                {
                    ExecutionContext.Restore(before);
                }

                if (Activity.Current != current)
                {
                    Activity.Current = current;
                }

                if (_span.IsAllDataRequested)
                {
                    StaticAttributes.SetOn(_span, tags);
                }
            }
        }
    }

    /// <summary>Called after a read that returned <paramref name="read"/> bytes for a buffer of <paramref name="requested"/>.</summary>
    public void Read(int read, int requested)
    {
        _bytes += read;
        if (read == 0 && requested > 0)
        {
            Finish(null);
        }
    }

    public void Failed(Exception error) => Finish(error);

    public void Closed() => Finish(null);

    private void Finish(Exception? error)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }

        var seconds = _startedAt == 0 ? 0d : Stopwatch.GetElapsedTime(_startedAt).TotalSeconds;
        if (tracking.Instruments is { } instruments)
        {
            var tags = error is null ? tracking.MetricTags : tracking.MetricTagsWithError;
            if (instruments.Size.Enabled)
            {
                instruments.Size.Add(_bytes, tags);
            }

            if (instruments.SizeHistogram.Enabled)
            {
                instruments.SizeHistogram.Record(_bytes, tags);
            }

            if (instruments.Time.Enabled)
            {
                instruments.Time.Add(seconds, tags);
            }

            if (instruments.TimeHistogram.Enabled)
            {
                instruments.TimeHistogram.Record(seconds, tags);
            }
        }

        if (_span is { } span)
        {
            if (span.IsAllDataRequested)
            {
                span.SetTag(ResponseReadTracking.SizeAttribute, BoxedValues.Long(_bytes));
                span.SetTag(ResponseReadTracking.TimeAttribute, BoxedValues.Seconds(seconds));
            }

            if (error is null)
            {
                span.SetStatus(ActivityStatusCode.Ok);
            }
            else
            {
                if (span.IsAllDataRequested)
                {
                    span.AddException(error);
                }

                span.SetStatus(ActivityStatusCode.Error, error.Message);
            }

            SpanEnding.Stop(span);
        }
    }
}

/// <summary>
/// Stands in for a response's content so that every way of reading it (<see cref="HttpContent.ReadAsStreamAsync()"/>,
/// copying, buffering) goes through a <see cref="TrackingReadStream"/>. Headers are copied from the original content.
/// </summary>
internal sealed class TrackedResponseContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly ResponseReadTracker _tracker;
    private TrackingReadStream? _stream;

    public TrackedResponseContent(HttpContent inner, ResponseReadTracker tracker)
    {
        _inner = inner;
        _tracker = tracker;
        foreach (var header in inner.Headers.NonValidated)
        {
            // The single-value overload stores the string as it is; the sequence overload would box the values.
            if (header.Value.Count == 1)
            {
                foreach (var value in header.Value)
                {
                    Headers.TryAddWithoutValidation(header.Key, value);
                }
            }
            else
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }
    }

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
        _stream ??= new TrackingReadStream(await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), _tracker);

    protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

    protected override Stream CreateContentReadStream(CancellationToken cancellationToken) =>
        _stream ??= new TrackingReadStream(_inner.ReadAsStream(cancellationToken), _tracker);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var source = await CreateContentReadStreamAsync(cancellationToken).ConfigureAwait(false);
        await source.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        CreateContentReadStream(cancellationToken).CopyTo(stream);

    protected override bool TryComputeLength(out long length)
    {
        // The length is the copied Content-Length header, if the response had one.
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (_stream is null)
            {
                _tracker.Closed();
            }
            else
            {
                _stream.Dispose();
            }

            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>A read-only pass-through stream reporting every read to a <see cref="ResponseReadTracker"/>.</summary>
internal sealed class TrackingReadStream(Stream inner, ResponseReadTracker tracker) : Stream
{
    private int _disposed;

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int Read(Span<byte> buffer)
    {
        tracker.Reading();
        int read;
        try
        {
            read = inner.Read(buffer);
        }
        catch (Exception e)
        {
            tracker.Failed(e);
            throw;
        }

        tracker.Read(read, buffer.Length);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        tracker.Reading();
        ValueTask<int> pending;
        try
        {
            pending = inner.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception e)
        {
            tracker.Failed(e);
            throw;
        }

        if (pending.IsCompletedSuccessfully)
        {
            var read = pending.Result;
            tracker.Read(read, buffer.Length);
            return new ValueTask<int>(read);
        }

        return AwaitReadAsync(pending, buffer.Length);
    }

    private async ValueTask<int> AwaitReadAsync(ValueTask<int> pending, int requested)
    {
        int read;
        try
        {
            read = await pending.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            tracker.Failed(e);
            throw;
        }

        tracker.Read(read, requested);
        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                inner.Dispose();
            }
            catch (Exception e)
            {
                tracker.Failed(e);
                throw;
            }

            tracker.Closed();
        }

        base.Dispose(disposing);
    }
}

/// <summary>Ends a span without disturbing <see cref="Activity.Current"/> of a flow the span is not current in.</summary>
internal static class SpanEnding
{
    /// <summary>Stops <paramref name="span"/>; see <see cref="RestoreBefore"/> for the two contexts.</summary>
    /// <param name="span">The span.</param>
    /// <param name="before">The execution context captured just before the span started; or null.</param>
    /// <param name="afterStart">The execution context captured once the span had started; or null.</param>
    public static void Stop(Activity span, ExecutionContext? before = null, ExecutionContext? afterStart = null)
    {
        RestoreBefore(span, before, afterStart);

        // Activity.Stop restores the activity that was current when the span started, whatever is current now.
        var current = Activity.Current;
        span.Stop();
        if (current != span && Activity.Current != current)
        {
            Activity.Current = current;
        }
    }

    /// <summary>
    /// When the flow's execution context is still <paramref name="afterStart"/>, the one captured once
    /// <paramref name="span"/> had started (nothing was written since), makes it <paramref name="before"/>, captured just
    /// before the start: the same <see cref="Activity.Current"/> that <see cref="Activity.Stop"/> would set, without the
    /// new execution context that setting it allocates (Stop then finds it already set). Execution contexts are
    /// immutable, so the reference comparison is exact; otherwise nothing is done and Stop sets Current as usual.
    /// </summary>
    public static void RestoreBefore(Activity span, ExecutionContext? before, ExecutionContext? afterStart)
    {
        if (before is not null && afterStart is not null && Activity.Current == span && ReferenceEquals(ExecutionContext.Capture(), afterStart))
        {
            ExecutionContext.Restore(before);
        }
    }
}
