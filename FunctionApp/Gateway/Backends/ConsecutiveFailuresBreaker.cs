using FunctionApp.Gateway.Configuration;
using Polly;
using Polly.CircuitBreaker;

namespace FunctionApp.Gateway.Backends;

/// <summary>
/// KrakenD's circuit breaker (krakend-circuitbreaker over sony/gobreaker) as a Polly strategy. Polly's own breaker
/// counts a failure ratio over a sliding window, where one success keeps the circuit closed for a whole interval;
/// gobreaker counts failures in a row:
/// <list type="bullet">
/// <item>closed: a success resets the count; when the consecutive failures exceed <c>max_errors</c> the circuit
/// opens; every <c>interval</c> the count starts again from zero;</item>
/// <item>open: calls fail at once for <c>timeout</c>, then the circuit is half-open;</item>
/// <item>half-open: one probe call at a time; its success closes the circuit, its failure opens it again.</item>
/// </list>
/// Outcomes that say nothing about the backend (the caller cancelled, the request could not be built) are not
/// counted. Results of calls started before a state change are ignored, as gobreaker does with its generations.
/// </summary>
internal sealed class ConsecutiveFailuresBreaker : ResilienceStrategy<ProxyResponse>
{
    private enum State
    {
        Closed,
        HalfOpen,
        Open,
    }

    private readonly CircuitBreakerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly Func<Outcome<ProxyResponse>, bool?> _classify;
    private readonly Action<string>? _onStateChange;
    private readonly Lock _lock = new();

    private State _state = State.Closed;
    private long _generation;
    private int _consecutiveFailures;
    private int _halfOpenCalls;
    private DateTimeOffset _expiry;

    /// <param name="options">The backend's <c>qos/circuit-breaker</c> settings.</param>
    /// <param name="timeProvider">The clock for the interval and the open period.</param>
    /// <param name="classify">true for a failure, false for a success, null when the outcome is not counted.</param>
    /// <param name="onStateChange">Told "open", "half-open" or "closed" on each change (outside the lock).</param>
    public ConsecutiveFailuresBreaker(CircuitBreakerOptions options, TimeProvider timeProvider, Func<Outcome<ProxyResponse>, bool?> classify, Action<string>? onStateChange)
    {
        _options = options;
        _timeProvider = timeProvider;
        _classify = classify;
        _onStateChange = onStateChange;
        _expiry = timeProvider.GetUtcNow() + options.Interval;
    }

    protected override async ValueTask<Outcome<ProxyResponse>> ExecuteCore<TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<ProxyResponse>>> callback, ResilienceContext context, TState state)
    {
        if (!TryEnter(out var generation))
        {
            return Outcome.FromException<ProxyResponse>(new BrokenCircuitException("circuit breaker is open"));
        }

        bool? failed = null;
        try
        {
            var outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
            failed = _classify(outcome);
            return outcome;
        }
        finally
        {
            Exit(generation, failed);
        }
    }

    private bool TryEnter(out long generation)
    {
        string? change;
        bool allowed;
        lock (_lock)
        {
            var state = CurrentState(_timeProvider.GetUtcNow(), out change);
            generation = _generation;
            allowed = state == State.Closed || (state == State.HalfOpen && _halfOpenCalls == 0);
            if (allowed && state == State.HalfOpen)
            {
                _halfOpenCalls++;
            }
        }

        Report(change);
        return allowed;
    }

    private void Exit(long generation, bool? failed)
    {
        string? change, expired;
        lock (_lock)
        {
            var state = CurrentState(_timeProvider.GetUtcNow(), out expired);
            change = generation != _generation ? null : (state, failed) switch
            {
                (State.HalfOpen, false) => SetState(State.Closed),
                (State.HalfOpen, true) => SetState(State.Open),
                (State.HalfOpen, null) => LetAnotherProbe(),
                (State.Closed, false) => ResetFailures(),
                (State.Closed, true) => ++_consecutiveFailures > _options.MaxErrors ? SetState(State.Open) : null,
                _ => null,
            };
        }

        Report(expired);
        Report(change);
    }

    private string? LetAnotherProbe()
    {
        // The probe told nothing about the backend: the next call probes instead.
        _halfOpenCalls--;
        return null;
    }

    private string? ResetFailures()
    {
        _consecutiveFailures = 0;
        return null;
    }

    private void Report(string? change)
    {
        if (change is not null)
        {
            _onStateChange?.Invoke(change);
        }
    }

    /// <summary>The state at <paramref name="now"/>: a closed circuit's count expires with the interval, an open one turns half-open.</summary>
    private State CurrentState(DateTimeOffset now, out string? change)
    {
        change = null;
        if (now >= _expiry)
        {
            if (_state == State.Closed)
            {
                NewGeneration(now);
            }
            else if (_state == State.Open)
            {
                change = SetState(State.HalfOpen);
            }
        }

        return _state;
    }

    private string SetState(State state)
    {
        _state = state;
        NewGeneration(_timeProvider.GetUtcNow());
        return state switch
        {
            State.Closed => "closed",
            State.Open => "open",
            _ => "half-open",
        };
    }

    /// <summary>gobreaker's generations: counts start again, and calls begun earlier no longer count.</summary>
    private void NewGeneration(DateTimeOffset now)
    {
        _generation++;
        _consecutiveFailures = 0;
        _halfOpenCalls = 0;
        _expiry = _state switch
        {
            State.Closed => now + _options.Interval,
            State.Open => now + _options.Timeout,
            _ => DateTimeOffset.MaxValue,
        };
    }
}
