using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Telemetry.Prometheus;

namespace Telemetry.Aggregation.Persistence;

/// <summary>
/// Durable state of one companion instance: its <see cref="MetricAggregator"/> continues from its own shard only
/// (<see cref="LoadAsync"/>), is written back when it changed (<see cref="PersistNowAsync"/>, every few seconds and on
/// shutdown), and <c>/metrics</c> shows the merge of every shard (<see cref="CollectMergedAsync"/>, cached briefly).
/// <para>
/// Exactness: each shard is written by one instance only and each retired base lives in exactly one shard, so the
/// merge (per (instance, series) the newest point wins; retired bases add) counts a push that reached several
/// companions once. Retirement is not run while persisting: folding on one shard what another shard also holds would
/// count it twice (aggregation notes: only on the merged state, under a lease), so bookkeeping grows until retirement
/// under a lease lands.
/// </para>
/// </summary>
public sealed partial class ShardPersistence : IDisposable
{
    private readonly BlobShardStore _store;
    private readonly AggregatorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _persistGate = new(1, 1);
    private readonly SemaphoreSlim _mergeGate = new(1, 1);
    private MetricAggregator? _aggregator;
    private byte[]? _lastWritten;
    private AggregatorSnapshot? _mergedOthers;
    private long _mergedAtTimestamp;

    public ShardPersistence(BlobShardStore store, string instanceId, AggregatorOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        BlobShardStore.ValidateInstanceId(instanceId);
        _store = store;
        InstanceId = instanceId;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>This companion's shard id.</summary>
    public string InstanceId { get; }

    /// <summary>How long a merged read of the other shards is reused by <see cref="CollectMergedAsync"/>.</summary>
    public TimeSpan MergeCacheDuration { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>The aggregator, after <see cref="LoadAsync"/>.</summary>
    public MetricAggregator Aggregator => _aggregator ?? throw new InvalidOperationException("LoadAsync has not run");

    /// <summary>
    /// Creates the container when missing and continues from this instance's own shard (a missing shard starts empty;
    /// an unreadable one is logged and started over, never merged in).
    /// </summary>
    public async Task<MetricAggregator> LoadAsync(CancellationToken cancellationToken = default)
    {
        await _store.EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        var bytes = await _store.ReadShardAsync(InstanceId, cancellationToken).ConfigureAwait(false);
        MetricAggregator aggregator;
        if (bytes is null)
        {
            aggregator = new MetricAggregator(_options, _time);
        }
        else
        {
            try
            {
                aggregator = MetricAggregator.Load(_options, _time, AggregatorSnapshot.FromBytes(bytes));
                _lastWritten = bytes;
                Log.Loaded(_logger, InstanceId, bytes.Length);
            }
            catch (InvalidDataException e)
            {
                Log.CorruptShard(_logger, e, InstanceId);
                aggregator = new MetricAggregator(_options, _time);
            }
        }

        _aggregator = aggregator;
        return aggregator;
    }

    /// <summary>Writes this instance's shard when its state changed since the last write. Returns whether it wrote.</summary>
    public async Task<bool> PersistNowAsync(CancellationToken cancellationToken = default)
    {
        var aggregator = Aggregator;
        await _persistGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var bytes = aggregator.CreateSnapshot().ToBytes();
            if (_lastWritten is not null && bytes.AsSpan().SequenceEqual(_lastWritten))
            {
                return false;
            }

            try
            {
                await _store.WriteShardAsync(InstanceId, bytes, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                aggregator.RecordPersistFailure();
                Log.PersistFailed(_logger, e, InstanceId);
                return false;
            }

            _lastWritten = bytes;
            aggregator.RecordPersist(Stopwatch.GetElapsedTime(started), _time.GetUtcNow());
            return true;
        }
        finally
        {
            _persistGate.Release();
        }
    }

    /// <summary>Persists every <paramref name="interval"/> until cancelled.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await PersistNowAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// The merged families of every shard: this instance's live state plus the other shards as last read from storage
    /// (re-read after <see cref="MergeCacheDuration"/>; a shard that does not decode is logged and skipped). The
    /// <c>aggregator_*</c> self-metrics are this instance's.
    /// </summary>
    public async Task<IReadOnlyList<MetricFamily>> CollectMergedAsync(CancellationToken cancellationToken = default)
    {
        var live = Aggregator;
        var others = await OtherShardsAsync(cancellationToken).ConfigureAwait(false);
        var merged = MetricAggregator.FromSnapshots(_options, _time, [live.CreateSnapshot(), others]);
        var families = new List<MetricFamily>();
        families.AddRange(merged.Collect().Where(static f => !f.Name.StartsWith(AggregatorSelfMetrics.Prefix, StringComparison.Ordinal)));
        families.AddRange(live.Collect().Where(static f => f.Name.StartsWith(AggregatorSelfMetrics.Prefix, StringComparison.Ordinal)));
        return families;
    }

    /// <summary>Forgets the cached read of the other shards (tests).</summary>
    public void InvalidateMergeCache() => Volatile.Write(ref _mergedOthers, null);

    private async Task<AggregatorSnapshot> OtherShardsAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _mergedOthers) is { } cached && Stopwatch.GetElapsedTime(Interlocked.Read(ref _mergedAtTimestamp)) < MergeCacheDuration)
        {
            return cached;
        }

        await _mergeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _mergedOthers) is { } fresh && Stopwatch.GetElapsedTime(Interlocked.Read(ref _mergedAtTimestamp)) < MergeCacheDuration)
            {
                return fresh;
            }

            var snapshots = new List<AggregatorSnapshot>();
            foreach (var (id, bytes) in await _store.ReadAllShardsAsync(cancellationToken).ConfigureAwait(false))
            {
                if (id == InstanceId)
                {
                    continue; // the live state is newer than its blob
                }

                try
                {
                    snapshots.Add(AggregatorSnapshot.FromBytes(bytes));
                }
                catch (InvalidDataException e)
                {
                    Log.CorruptShard(_logger, e, id);
                }
            }

            var merged = AggregatorSnapshot.Merge(snapshots);
            Interlocked.Exchange(ref _mergedAtTimestamp, Stopwatch.GetTimestamp());
            Volatile.Write(ref _mergedOthers, merged);
            return merged;
        }
        finally
        {
            _mergeGate.Release();
        }
    }

    public void Dispose()
    {
        _persistGate.Dispose();
        _mergeGate.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Companion shard {InstanceId} loaded ({Bytes} bytes)")]
        public static partial void Loaded(ILogger logger, string instanceId, int bytes);

        [LoggerMessage(2, LogLevel.Error, "Companion shard {InstanceId} is not a valid snapshot; skipped")]
        public static partial void CorruptShard(ILogger logger, Exception exception, string instanceId);

        [LoggerMessage(3, LogLevel.Warning, "Persisting companion shard {InstanceId} failed; retrying at the next interval")]
        public static partial void PersistFailed(ILogger logger, Exception exception, string instanceId);
    }
}
