using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Telemetry.Flush;

namespace FunctionApp.Tests.Telemetry.Flush;

public sealed class InvocationFlusherTests
{
    private static readonly TimeSpan Patience = GatedFlushAction.Patience;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task FlushAsync_FlushBlocked_ReturnsPendingWithoutRunningTheActionInline()
    {
        using var gate = new GatedFlushAction();
        var flusher = new InvocationFlusher([gate.Invoke], Budget, new FakeTimeProvider());

        var caller = flusher.FlushAsync().AsTask();

        Assert.True(await gate.WaitEnteredAsync());
        Assert.False(caller.IsCompleted);
        gate.Proceed();
        await caller.WaitAsync(Patience);
        Assert.Equal(1, flusher.FlushesStarted);
        Assert.Equal(1, flusher.CallersServed);
        Assert.Equal(0, flusher.CallersTimedOut);
    }

    [Fact]
    public async Task FlushAsync_ConcurrentCallersWhileFlushBlocked_ShareExactlyOneMoreFlush()
    {
        const int Callers = 32;
        using var gate = new GatedFlushAction();
        var flusher = new InvocationFlusher([gate.Invoke], Budget, new FakeTimeProvider());
        var first = flusher.FlushAsync().AsTask();
        Assert.True(await gate.WaitEnteredAsync());

        using var called = new CountdownEvent(Callers);
        var others = new Task[Callers];
        for (var i = 0; i < Callers; i++)
        {
            others[i] = Task.Run(() =>
            {
                var flush = flusher.FlushAsync().AsTask();
                called.Signal();
                return flush;
            });
        }

        Assert.True(called.Wait(Patience));
        Assert.Equal(1, flusher.FlushesStarted);

        gate.Proceed();
        await first.WaitAsync(Patience);
        Assert.True(await gate.WaitEnteredAsync());
        Assert.All(others, task => Assert.False(task.IsCompleted));

        gate.Proceed();
        await Task.WhenAll(others).WaitAsync(Patience);
        Assert.Equal(2, flusher.FlushesStarted);
        Assert.Equal(2, gate.Calls);
        Assert.Equal(Callers + 1, flusher.CallersServed);
        Assert.Equal(Callers - 1, flusher.CallersCoalesced);
        Assert.Equal(0, flusher.CallersTimedOut);
    }

    [Fact]
    public async Task FlushAsync_CallerArrivingDuringRunningFlush_WaitsForTheNextFlush()
    {
        using var gate = new GatedFlushAction();
        var flusher = new InvocationFlusher([gate.Invoke], Budget, new FakeTimeProvider());
        var first = flusher.FlushAsync().AsTask();
        Assert.True(await gate.WaitEnteredAsync());

        var late = flusher.FlushAsync().AsTask();
        gate.Proceed();
        await first.WaitAsync(Patience);

        Assert.True(await gate.WaitEnteredAsync());
        Assert.False(late.IsCompleted);
        gate.Proceed();
        await late.WaitAsync(Patience);
        Assert.Equal(2, flusher.FlushesStarted);
        Assert.Equal(0, flusher.CallersCoalesced);
    }

    [Fact]
    public async Task FlushAsync_MinimumInterval_NextRoundWaitsForItsTurnAndLaterCallersJoinIt()
    {
        using var gate = new GatedFlushAction();
        var time = new FakeTimeProvider();
        var interval = TimeSpan.FromMilliseconds(10);
        var flusher = new InvocationFlusher([gate.Invoke], Budget, time, minimumInterval: interval);
        var first = flusher.FlushAsync().AsTask();
        Assert.True(await gate.WaitEnteredAsync());
        var second = flusher.FlushAsync().AsTask();

        time.Advance(TimeSpan.FromMilliseconds(4));
        gate.Proceed();
        await first.WaitAsync(Patience);
        var third = flusher.FlushAsync().AsTask();

        Assert.Equal(1, flusher.FlushesStarted);
        Assert.False(second.IsCompleted);
        Assert.False(third.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(6));
        Assert.True(await gate.WaitEnteredAsync());
        Assert.Equal(2, flusher.FlushesStarted);
        gate.Proceed();
        await Task.WhenAll(second, third).WaitAsync(Patience);
        Assert.Equal(2, gate.Calls);
        Assert.Equal(1, flusher.CallersCoalesced);
        Assert.Equal(3, flusher.CallersServed);
    }

    [Fact]
    public async Task FlushAsync_MinimumIntervalPassed_IdleFlusherStartsAtOnce()
    {
        using var gate = new GatedFlushAction();
        var time = new FakeTimeProvider();
        var flusher = new InvocationFlusher([gate.Invoke], Budget, time, minimumInterval: TimeSpan.FromMilliseconds(10));
        gate.Proceed();
        await flusher.FlushAsync().AsTask().WaitAsync(Patience);

        time.Advance(TimeSpan.FromMilliseconds(10));
        gate.Proceed();
        await flusher.FlushAsync().AsTask().WaitAsync(Patience);

        Assert.Equal(2, flusher.FlushesStarted);
        Assert.Equal(2, flusher.CallersServed);
    }

    [Fact]
    public void Constructor_MinimumIntervalAboveBudget_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new InvocationFlusher([_ => true], Budget, new FakeTimeProvider(), minimumInterval: Budget + TimeSpan.FromTicks(1)));

    [Fact]
    public async Task FlushAsync_BudgetPassesWhileFlushBlocked_ReturnsWhileTheFlushGoesOn()
    {
        using var gate = new GatedFlushAction();
        var time = new FakeTimeProvider();
        var flusher = new InvocationFlusher([gate.Invoke], Budget, time);

        var caller = flusher.FlushAsync().AsTask();
        Assert.True(await gate.WaitEnteredAsync());
        time.Advance(Budget);

        await caller.WaitAsync(Patience);
        Assert.Equal(0, gate.Completed);
        Assert.Equal(1, flusher.CallersTimedOut);
        Assert.Equal(0, flusher.CallersServed);
    }

    [Fact]
    public async Task FlushAsync_Actions_RunInOrderWithTheRemainingBudget()
    {
        var time = new FakeTimeProvider();
        var calls = new List<(string Signal, int Timeout)>();
        var flusher = new InvocationFlusher(
            [
                timeout =>
                {
                    calls.Add(("traces", timeout));
                    time.Advance(TimeSpan.FromMilliseconds(300));
                    return true;
                },
                timeout =>
                {
                    calls.Add(("metrics", timeout));
                    return true;
                },
            ],
            Budget,
            time);

        await flusher.FlushAsync().AsTask().WaitAsync(Patience);

        Assert.Equal(new[] { ("traces", 1000), ("metrics", 700) }, calls);
    }

    [Fact]
    public async Task FlushAsync_BudgetSpentByEarlierAction_PassesZeroToTheNext()
    {
        var time = new FakeTimeProvider();
        var metricsTimeout = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var flusher = new InvocationFlusher(
            [
                _ =>
                {
                    time.Advance(TimeSpan.FromSeconds(2));
                    return false;
                },
                timeout =>
                {
                    metricsTimeout.SetResult(timeout);
                    return true;
                },
            ],
            Budget,
            time);

        await flusher.FlushAsync().AsTask().WaitAsync(Patience);

        Assert.Equal(0, await metricsTimeout.Task.WaitAsync(Patience));
        Assert.Equal(1, flusher.CallersTimedOut);
    }

    [Fact]
    public async Task FlushAsync_ActionThrows_ReturnsNormallyAndRunsTheNextAction()
    {
        var metricsFlushed = false;
        var flusher = new InvocationFlusher(
            [
                _ => throw new InvalidOperationException("collector down"),
                _ => metricsFlushed = true,
            ],
            Budget,
            new FakeTimeProvider());

        await flusher.FlushAsync().AsTask().WaitAsync(Patience);

        Assert.True(metricsFlushed);
        Assert.Equal(1, flusher.Failures);
        Assert.Equal(1, flusher.CallersServed);
    }

    [Fact]
    public async Task FlushAsync_RepeatedFailures_LoggedAtMostOncePerMinute()
    {
        var time = new FakeTimeProvider();
        var logger = new CapturingLogger();
        var flusher = new InvocationFlusher([_ => throw new InvalidOperationException("collector down")], Budget, time, logger);

        await flusher.FlushAsync().AsTask().WaitAsync(Patience);
        await flusher.FlushAsync().AsTask().WaitAsync(Patience);
        await flusher.FlushAsync().AsTask().WaitAsync(Patience);
        Assert.Single(logger.Entries);

        time.Advance(TimeSpan.FromMinutes(1));
        await flusher.FlushAsync().AsTask().WaitAsync(Patience);

        Assert.Equal(2, logger.Entries.Count);
        Assert.All(logger.Entries, entry => Assert.Equal(LogLevel.Warning, entry.Level));
        Assert.Contains("2 more problems", logger.Entries.Last().Message, StringComparison.Ordinal);
        Assert.Equal(4, flusher.Failures);
    }

    [Fact]
    public async Task FlushAsync_FlushRunningPastHardCap_IsAbandonedAndTheNextCallerStartsAnother()
    {
        using var gate = new GatedFlushAction();
        var time = new FakeTimeProvider();
        var flusher = new InvocationFlusher([gate.Invoke], Budget, time);
        var stuck = flusher.FlushAsync().AsTask();
        Assert.True(await gate.WaitEnteredAsync());

        time.Advance(flusher.HardCap);
        await stuck.WaitAsync(Patience);
        var next = flusher.FlushAsync().AsTask();

        Assert.True(await gate.WaitEnteredAsync());
        Assert.Equal(2, flusher.FlushesStarted);
        Assert.Equal(1, flusher.FlushesAbandoned);
        gate.Proceed();
        gate.Proceed();
        await next.WaitAsync(Patience);
        Assert.Equal(1, flusher.CallersServed);
        Assert.Equal(1, flusher.CallersTimedOut);
    }

    [Fact]
    public async Task FlushAsync_CallerCancelled_ReturnsWithoutThrowing()
    {
        using var gate = new GatedFlushAction();
        var flusher = new InvocationFlusher([gate.Invoke], Budget, new FakeTimeProvider());
        using var aborted = new CancellationTokenSource();

        var caller = flusher.FlushAsync(aborted.Token).AsTask();
        Assert.True(await gate.WaitEnteredAsync());
        await aborted.CancelAsync();

        await caller.WaitAsync(Patience);
        Assert.Equal(0, gate.Completed);
        Assert.Equal(0, flusher.CallersServed);
        Assert.Equal(0, flusher.CallersTimedOut);
    }

    [Fact]
    public async Task Create_BatchedSpansAndMetrics_ExportedByFlush()
    {
        var name = "flush-test-" + Guid.NewGuid().ToString("N");
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        using var source = new ActivitySource(name);
        using var meter = new Meter(name);
        using var tracerProvider = Sdk.CreateTracerProviderBuilder()
            .AddSource(name)
            .AddProcessor(new BatchActivityExportProcessor(new InMemoryExporter<Activity>(spans), scheduledDelayMilliseconds: 3_600_000))
            .Build();
        using var meterProvider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(name)
            .AddReader(new PeriodicExportingMetricReader(new InMemoryExporter<Metric>(metrics), exportIntervalMilliseconds: 3_600_000))
            .Build();
        source.StartActivity("request")?.Dispose();
        meter.CreateCounter<long>("requests").Add(1);
        Assert.Empty(spans);

        var flusher = InvocationFlusher.Create(tracerProvider, meterProvider, Patience);
        await flusher.FlushAsync().AsTask().WaitAsync(Patience);

        Assert.Equal("request", Assert.Single(spans).DisplayName);
        Assert.Contains(metrics, metric => metric.Name == "requests");
        Assert.Equal(1, flusher.CallersServed);
    }

    private sealed class CapturingLogger : ILogger
    {
        private readonly ConcurrentQueue<(LogLevel Level, string Message)> _entries = new();

        public IReadOnlyCollection<(LogLevel Level, string Message)> Entries => _entries;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
