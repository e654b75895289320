using System.Diagnostics;
using OpenTelemetry;

namespace Telemetry.Export.AzureMonitor;

/// <summary>
/// A batching span processor whose <see cref="BaseProcessor{T}.ForceFlush"/> returns only once every span that ended
/// before the call has been through <see cref="BaseExporter{T}.Export"/>, i.e. for Azure Monitor once the ingestion
/// endpoint has answered (or the send failed), or when the timeout elapses.
/// <para>
/// The SDK's <see cref="BatchActivityExportProcessor"/> considers a span flushed as soon as the exporter has taken it
/// from the queue; the Azure Monitor exporter takes the whole batch before it sends it, so that flush returns while
/// the request is still in flight whenever ingestion takes longer than the processor's one-second polling slice. A
/// per-invocation flush needs the stronger promise. Exports still run off the caller's thread, one at a time, in
/// order; a flush joins a queued export that has not started yet instead of adding another.
/// </para>
/// </summary>
internal sealed class FlushAwaitingActivityProcessor : BaseExportProcessor<Activity>
{
    private readonly Lock _queueLock = new();
    private readonly Queue<Activity> _queue = new();
    private readonly Lock _exportsLock = new();
    private readonly int _maxQueueSize;
    private readonly int _maxExportBatchSize;
    private readonly Timer _timer;
    private Task _lastExport = Task.CompletedTask;
    private Task? _notStartedExport;
    private long _droppedCount;
    private volatile bool _shutDown;

    /// <summary>The defaults are the SDK's batch processor's: queue 2048, batch 512, every 5 s.</summary>
    public FlushAwaitingActivityProcessor(
        BaseExporter<Activity> exporter,
        int maxQueueSize = 2048,
        int scheduledDelayMilliseconds = 5000,
        int maxExportBatchSize = 512)
        : base(exporter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxQueueSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxExportBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxExportBatchSize, maxQueueSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(scheduledDelayMilliseconds, 1);
        _maxQueueSize = maxQueueSize;
        _maxExportBatchSize = maxExportBatchSize;
        _timer = new Timer(static state => ((FlushAwaitingActivityProcessor)state!).ExportIfQueued(), this, scheduledDelayMilliseconds, scheduledDelayMilliseconds);
    }

    /// <summary>Spans dropped because the queue was full.</summary>
    public long DroppedCount => Interlocked.Read(ref _droppedCount);

    public override void OnEnd(Activity data)
    {
        // As the SDK's batch processor: a span the sampler made record-only is not exported.
        if (data.Recorded)
        {
            base.OnEnd(data);
        }
    }

    protected override void OnExport(Activity data)
    {
        if (_shutDown)
        {
            return;
        }

        int count;
        lock (_queueLock)
        {
            if (_queue.Count >= _maxQueueSize)
            {
                _droppedCount++;
                return;
            }

            _queue.Enqueue(data);
            count = _queue.Count;
        }

        if (count == _maxExportBatchSize)
        {
            ScheduleExport();
        }
    }

    protected override bool OnForceFlush(int timeoutMilliseconds) => ScheduleExport().Wait(timeoutMilliseconds);

    protected override bool OnShutdown(int timeoutMilliseconds)
    {
        _shutDown = true;
        _timer.Dispose();
        var started = Stopwatch.GetTimestamp();
        var drained = ScheduleExport().Wait(timeoutMilliseconds);
        var remaining = timeoutMilliseconds == Timeout.Infinite
            ? Timeout.Infinite
            : (int)Math.Max(0, timeoutMilliseconds - Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return exporter.Shutdown(remaining) && drained;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _timer.Dispose();
        }

        base.Dispose(disposing);
    }

    private void ExportIfQueued()
    {
        lock (_queueLock)
        {
            if (_queue.Count == 0)
            {
                return;
            }
        }

        ScheduleExport();
    }

    /// <summary>
    /// An export that will take everything queued so far: the one scheduled and not started yet if there is one (it
    /// drains the queue when it starts), else a new one chained after the last.
    /// </summary>
    private Task ScheduleExport()
    {
        lock (_exportsLock)
        {
            if (_notStartedExport is { } pending)
            {
                return pending;
            }

            var next = _lastExport.ContinueWith(
                static (_, state) => ((FlushAwaitingActivityProcessor)state!).RunExport(),
                this,
                CancellationToken.None,
                TaskContinuationOptions.None,
                TaskScheduler.Default);
            _notStartedExport = next;
            _lastExport = next;
            return next;
        }
    }

    private void RunExport()
    {
        lock (_exportsLock)
        {
            // Spans queued from now on are not promised to this export: a later flush schedules its own.
            _notStartedExport = null;
        }

        try
        {
            while (TakeBatch() is { Length: > 0 } batch)
            {
                exporter.Export(new Batch<Activity>(batch, batch.Length));
            }
        }
        catch (Exception)
        {
            // Exporters report failures as ExportResult.Failure; anything else must not break the export chain.
        }
    }

    private Activity[] TakeBatch()
    {
        lock (_queueLock)
        {
            var count = Math.Min(_queue.Count, _maxExportBatchSize);
            var batch = new Activity[count];
            for (var i = 0; i < count; i++)
            {
                batch[i] = _queue.Dequeue();
            }

            return batch;
        }
    }
}
