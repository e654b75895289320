using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Telemetry.Flush;

/// <summary>
/// Exports what the SDK holds before a response completes (Functions mode, see azure-functions.md §3.3–3.4), sharing
/// flushes between concurrent requests and never making a request wait longer than a budget.
/// </summary>
/// <remarks>
/// <para>
/// <b>Coalescing.</b> A caller needs a flush that <i>starts after</i> it called, so the data it recorded before
/// calling is included. If no flush is running, the caller starts one. If one is running, the caller joins the single
/// pending flush, which starts when the running one ends. So at most one flush runs and one waits, and the flush rate
/// is bounded by the flush duration, not by the request rate.
/// </para>
/// <para>
/// <b>Budget.</b> A caller waits at most <see cref="Budget"/>, then returns normally; the flush goes on in the
/// background and whatever it does not export stays in the SDK's bounded batch queue for the next flush. Each flush
/// action gets the remaining budget of the latest caller the flush serves as its timeout. Actions run on the thread
/// pool, never on the caller's thread, and their exceptions are counted and logged at most once a minute.
/// </para>
/// <para>
/// <b>Spacing.</b> With a <see cref="MinimumInterval"/>, a round starts no sooner than that after the previous round
/// started; callers arriving meanwhile join the round waiting for its turn. Under load this trades up to one interval
/// of latency for fewer, larger exports; a request arriving at an idle flusher still starts its round at once.
/// </para>
/// <para>
/// <b>Hard cap.</b> The SDK honours its timeout only cooperatively (a metric reader exports synchronously on the
/// flushing thread, bounded only by the exporter's own timeout). A flush still running after <see cref="HardCap"/> is
/// abandoned: the next caller starts a new flush instead of queueing behind a dead collector forever.
/// </para>
/// </remarks>
public sealed partial class InvocationFlusher
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromMinutes(1);

    private readonly Func<int, bool>[] _flushActions;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly long _budgetTicks;
    private readonly long _logIntervalTicks;
    private readonly long _minimumIntervalTicks;
    private readonly ITimer? _startTimer;
    private readonly Lock _lock = new();
    private FlushRound? _running;
    private FlushRound? _pending;
    private long _lastStartTimestamp;
    private bool _startScheduled;
    private long _nextLogTimestamp = long.MinValue;
    private long _suppressedLogs;

    private long _flushesStarted;
    private long _flushesIncomplete;
    private long _flushesAbandoned;
    private long _callersServed;
    private long _callersCoalesced;
    private long _callersTimedOut;
    private long _failures;

    /// <param name="flushActions">The flushes to run in order (traces first, then metrics); each takes a timeout in
    /// milliseconds and returns false when it did not finish in time.</param>
    /// <param name="budget">What a caller waits at most.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> unless testing.</param>
    /// <param name="logger">Where failures go (at most once a minute).</param>
    /// <param name="hardCap">After how long a running flush is abandoned; 10 × <paramref name="budget"/> (at least one
    /// second) by default.</param>
    /// <param name="minimumInterval">The least time between the starts of two rounds; zero (the default) starts the
    /// pending round as soon as the running one ends. At most <paramref name="budget"/>.</param>
    public InvocationFlusher(IReadOnlyList<Func<int, bool>> flushActions, TimeSpan budget, TimeProvider timeProvider, ILogger? logger = null, TimeSpan? hardCap = null, TimeSpan minimumInterval = default)
    {
        ArgumentNullException.ThrowIfNull(flushActions);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThan(budget, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(budget, TimeSpan.FromMilliseconds(int.MaxValue));
        _flushActions = [.. flushActions];
        foreach (var action in _flushActions)
        {
            ArgumentNullException.ThrowIfNull(action, nameof(flushActions));
        }

        Budget = budget;
        HardCap = hardCap ?? TimeSpan.FromTicks(Math.Max(budget.Ticks * 10, TimeSpan.TicksPerSecond));
        ArgumentOutOfRangeException.ThrowIfLessThan(HardCap, budget, nameof(hardCap));
        _timeProvider = timeProvider;
        _logger = logger ?? NullLogger.Instance;
        _budgetTicks = ToTimestampTicks(budget);
        _logIntervalTicks = ToTimestampTicks(LogInterval);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minimumInterval, budget);
        MinimumInterval = minimumInterval;
        _minimumIntervalTicks = ToTimestampTicks(minimumInterval);
        if (_minimumIntervalTicks > 0)
        {
            _startTimer = timeProvider.CreateTimer(static state => ((InvocationFlusher)state!).OnStartDue(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>What a caller waits at most.</summary>
    public TimeSpan Budget { get; }

    /// <summary>After how long a running flush is abandoned and a new one may start.</summary>
    public TimeSpan HardCap { get; }

    /// <summary>The least time between the starts of two rounds.</summary>
    public TimeSpan MinimumInterval { get; }

    /// <summary>Flushes started (each runs every action once).</summary>
    public long FlushesStarted => Volatile.Read(ref _flushesStarted);

    /// <summary>Flushes in which some action returned false (its timeout passed before the export finished).</summary>
    public long FlushesIncomplete => Volatile.Read(ref _flushesIncomplete);

    /// <summary>Flushes still running after <see cref="HardCap"/>, no longer waited for.</summary>
    public long FlushesAbandoned => Volatile.Read(ref _flushesAbandoned);

    /// <summary>Callers whose flush ended within the budget.</summary>
    public long CallersServed => Volatile.Read(ref _callersServed);

    /// <summary>Callers that joined a flush another caller had asked for.</summary>
    public long CallersCoalesced => Volatile.Read(ref _callersCoalesced);

    /// <summary>Callers that returned on the budget while their flush was still going.</summary>
    public long CallersTimedOut => Volatile.Read(ref _callersTimedOut);

    /// <summary>Flush actions that threw.</summary>
    public long Failures => Volatile.Read(ref _failures);

    /// <summary>
    /// Flushes the given providers, traces first and then metrics (KrakenD's shutdown order); a null provider (its
    /// signal is not exported) is skipped.
    /// </summary>
    public static InvocationFlusher Create(TracerProvider? tracerProvider, MeterProvider? meterProvider, TimeSpan budget, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        var actions = new List<Func<int, bool>>(2);
        if (tracerProvider is not null)
        {
            actions.Add(tracerProvider.ForceFlush);
        }

        if (meterProvider is not null)
        {
            actions.Add(meterProvider.ForceFlush);
        }

        return new InvocationFlusher(actions, budget, timeProvider ?? TimeProvider.System, logger);
    }

    /// <summary>
    /// Returns once a flush that started after this call has ended, the budget has passed, or
    /// <paramref name="cancellationToken"/> is cancelled (the client went away). Never throws.
    /// </summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_flushActions.Length == 0)
        {
            return ValueTask.CompletedTask;
        }

        var now = _timeProvider.GetTimestamp();
        FlushRound round;
        lock (_lock)
        {
            if (_running is { } running && _timeProvider.GetElapsedTime(running.StartTimestamp, now) >= HardCap)
            {
                Interlocked.Increment(ref _flushesAbandoned);
                LogAbandoned(running);
                _running = null;
            }

            if (_running is null)
            {
                // A pending round exists here after an abandonment or while it waits for its turn: it has not
                // started, so it still suits.
                if (_pending is { } pending)
                {
                    round = pending;
                    Interlocked.Increment(ref _callersCoalesced);
                }
                else
                {
                    round = _pending = new FlushRound(this);
                }

                round.ExtendDeadline(now + _budgetTicks);
                StartPendingOrSchedule(now);
            }
            else if (_pending is null)
            {
                round = _pending = new FlushRound(this);
                round.ExtendDeadline(now + _budgetTicks);
            }
            else
            {
                round = _pending;
                round.ExtendDeadline(now + _budgetTicks);
                Interlocked.Increment(ref _callersCoalesced);
            }
        }

        return WaitAsync(round.Completion, cancellationToken);
    }

    private async ValueTask WaitAsync(Task completion, CancellationToken cancellationToken)
    {
        var wait = completion.IsCompleted ? completion : completion.WaitAsync(Budget, _timeProvider, cancellationToken);
        await wait.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        // The wait's own outcome, not the round's state now: the round may have ended since the budget passed.
        if (wait.IsCompletedSuccessfully)
        {
            Interlocked.Increment(ref _callersServed);
        }
        else if (!wait.IsCanceled)
        {
            Interlocked.Increment(ref _callersTimedOut);
        }
    }

    // Called under _lock, with no round running: starts the pending round now, or arms the timer for its turn.
    private void StartPendingOrSchedule(long now)
    {
        var round = _pending!;
        var due = _lastStartTimestamp + _minimumIntervalTicks;
        if (_minimumIntervalTicks == 0 || _flushesStarted == 0 || now >= due)
        {
            _pending = null;
            _running = round;
            Start(round, now);
        }
        else if (!_startScheduled)
        {
            _startScheduled = true;
            _startTimer!.Change(_timeProvider.GetElapsedTime(now, due), Timeout.InfiniteTimeSpan);
        }
    }

    private void OnStartDue()
    {
        lock (_lock)
        {
            _startScheduled = false;
            if (_running is null && _pending is not null)
            {
                StartPendingOrSchedule(_timeProvider.GetTimestamp());
            }
        }
    }

    // Called under _lock.
    private void Start(FlushRound round, long now)
    {
        _lastStartTimestamp = now;
        round.StartTimestamp = now;
        Interlocked.Increment(ref _flushesStarted);
        ThreadPool.UnsafeQueueUserWorkItem(round, preferLocal: false);
    }

    private void OnRoundFinished(FlushRound round)
    {
        lock (_lock)
        {
            // An abandoned round was already replaced: its end must not disturb the rounds after it.
            if (_running == round)
            {
                _running = null;
                if (_pending is not null)
                {
                    StartPendingOrSchedule(_timeProvider.GetTimestamp());
                }
            }
        }

        round.Complete();
    }

    private void OnFailure(Exception exception)
    {
        Interlocked.Increment(ref _failures);
        if (TryTakeLogTurn(out var suppressed))
        {
            Log.FlushFailed(_logger, suppressed, exception);
        }
    }

    private void LogAbandoned(FlushRound round)
    {
        if (TryTakeLogTurn(out var suppressed))
        {
            Log.FlushAbandoned(_logger, (long)_timeProvider.GetElapsedTime(round.StartTimestamp).TotalMilliseconds, suppressed);
        }
    }

    private bool TryTakeLogTurn(out long suppressed)
    {
        var now = _timeProvider.GetTimestamp();
        var next = Volatile.Read(ref _nextLogTimestamp);
        if (now >= next && Interlocked.CompareExchange(ref _nextLogTimestamp, now + _logIntervalTicks, next) == next)
        {
            suppressed = Interlocked.Exchange(ref _suppressedLogs, 0);
            return true;
        }

        Interlocked.Increment(ref _suppressedLogs);
        suppressed = 0;
        return false;
    }

    private long ToTimestampTicks(TimeSpan duration) =>
        (long)Math.Ceiling(duration.TotalSeconds * _timeProvider.TimestampFrequency);

    private int RemainingMilliseconds(long deadline)
    {
        var remaining = _timeProvider.GetElapsedTime(_timeProvider.GetTimestamp(), deadline);
        return remaining <= TimeSpan.Zero ? 0 : (int)Math.Min(int.MaxValue, Math.Ceiling(remaining.TotalMilliseconds));
    }

    /// <summary>One run of every flush action, shared by the callers that joined it before it started.</summary>
    private sealed class FlushRound(InvocationFlusher owner) : IThreadPoolWorkItem
    {
        private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _deadline = long.MinValue;

        public Task Completion => _completion.Task;

        public long StartTimestamp { get; set; }

        // Only extended before the round starts, under the owner's lock.
        public void ExtendDeadline(long deadline) => _deadline = Math.Max(_deadline, deadline);

        public void Complete() => _completion.TrySetResult();

        public void Execute()
        {
            var incomplete = false;
            foreach (var action in owner._flushActions)
            {
                try
                {
                    // With nothing left, 0 still makes a batch processor start exporting, without waiting for it.
                    incomplete |= !action(owner.RemainingMilliseconds(_deadline));
                }
                catch (Exception exception)
                {
                    owner.OnFailure(exception);
                }
            }

            if (incomplete)
            {
                Interlocked.Increment(ref owner._flushesIncomplete);
            }

            owner.OnRoundFinished(this);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "[SERVICE: OpenTelemetry] Flushing telemetry failed ({Suppressed} more problems since the last report)")]
        public static partial void FlushFailed(ILogger logger, long suppressed, Exception exception);

        [LoggerMessage(2, LogLevel.Warning, "[SERVICE: OpenTelemetry] A telemetry flush has been running for {ElapsedMs} ms; starting the next one without it ({Suppressed} more problems since the last report)")]
        public static partial void FlushAbandoned(ILogger logger, long elapsedMs, long suppressed);
    }
}
