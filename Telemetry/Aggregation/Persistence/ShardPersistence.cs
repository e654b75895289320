using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Telemetry.Prometheus;

namespace Telemetry.Aggregation.Persistence;

/// <summary>
/// Durable state of one companion instance: its <see cref="MetricAggregator"/> continues from its own shard only
/// (<see cref="LoadAsync"/>), is written back when it changed and at least every <see cref="HeartbeatInterval"/>
/// (<see cref="PersistNowAsync"/>), and <c>/metrics</c> shows the merge of every shard and of the shared retired
/// state (<see cref="CollectMergedAsync"/>, cached briefly).
/// <para>
/// Exactness: each shard is written by one instance only, and every retired base lives in exactly one blob, so the
/// merge (per (instance, series) the newest point wins; bases add) counts a push that reached several companions
/// once. Retirement runs on the merged state, under a lease (<see cref="SharedRetirement"/>); each companion then
/// drops what was folded from its own shard. A write is conditional on the shard's last known version: when a round
/// absorbed this companion's shard (it looked stale), the bases of the absorbed version are taken out of the live
/// state before writing again, so nothing counts twice.
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
    private readonly SharedRetirement _retirement;
    private byte[]? _lastWritten;
    private string? _shardETag;
    private long _lastWriteTimestamp;
    private RetiredState? _retired;
    private string? _appliedRetiredETag;
    private long _lastRetirementRound;
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
        _retirement = new SharedRetirement(store, options, time);
        HeartbeatInterval = Clamp(options.RetireAfter / 4, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));
        RetirementInterval = Clamp(options.RetireAfter / 6, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) => value < min ? min : value > max ? max : value;

    /// <summary>This companion's shard id.</summary>
    public string InstanceId { get; }

    /// <summary>How long a merged read of the other shards is reused by <see cref="CollectMergedAsync"/>.</summary>
    public TimeSpan MergeCacheDuration { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>How often the shard is rewritten even when unchanged, so a retirement round never takes it for a dead companion's.</summary>
    public TimeSpan HeartbeatInterval { get; init; }

    /// <summary>How often this companion tries to run a retirement round (one companion at a time gets the lease).</summary>
    public TimeSpan RetirementInterval { get; init; }

    /// <summary>The aggregator, after <see cref="LoadAsync"/>.</summary>
    public MetricAggregator Aggregator => _aggregator ?? throw new InvalidOperationException("LoadAsync has not run");

    /// <summary>
    /// Creates the container when missing and continues from this instance's own shard (a missing shard starts empty;
    /// an unreadable one is logged and started over, never merged in).
    /// </summary>
    public async Task<MetricAggregator> LoadAsync(CancellationToken cancellationToken = default)
    {
        await _store.EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        var shard = await _store.ReadShardAsync(InstanceId, cancellationToken).ConfigureAwait(false);
        var retired = await ReadRetiredAsync(cancellationToken).ConfigureAwait(false);
        var aggregator = new MetricAggregator(_options, _time);
        if (shard is not null)
        {
            _shardETag = shard.ETag;
            try
            {
                var snapshot = AggregatorSnapshot.FromBytes(shard.Bytes);
                aggregator = MetricAggregator.Load(_options, _time, snapshot);
                _lastWritten = shard.Bytes;
                Log.Loaded(_logger, InstanceId, shard.Bytes.Length);
                if (retired is not null && retired.HasAbsorbed(InstanceId, shard.ETag))
                {
                    // A retirement round took this shard for a dead companion's: its bases live on in the retired state.
                    aggregator.SubtractBases(snapshot);
                    _lastWritten = null;
                }
            }
            catch (InvalidDataException e)
            {
                Log.CorruptShard(_logger, e, InstanceId);
            }
        }

        if (retired is { Bytes.Length: > 0 })
        {
            aggregator.ApplyRetirements(AggregatorSnapshot.FromBytes(retired.Bytes));
            _appliedRetiredETag = retired.ETag;
        }

        _aggregator = aggregator;
        return aggregator;
    }

    /// <summary>
    /// Writes this instance's shard when its state changed since the last write, or when the heartbeat is due.
    /// Returns whether it wrote.
    /// </summary>
    public async Task<bool> PersistNowAsync(CancellationToken cancellationToken = default)
    {
        var aggregator = Aggregator;
        await _persistGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 0; attempt < 2; attempt++)
            {
                var started = Stopwatch.GetTimestamp();
                var bytes = aggregator.CreateSnapshot().ToBytes();
                var heartbeatDue = Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastWriteTimestamp)) >= HeartbeatInterval;
                if (_lastWritten is not null && !heartbeatDue && bytes.AsSpan().SequenceEqual(_lastWritten))
                {
                    return false;
                }

                string? written;
                try
                {
                    written = await _store.TryWriteShardAsync(InstanceId, bytes, _shardETag, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    aggregator.RecordPersistFailure();
                    Log.PersistFailed(_logger, e, InstanceId);
                    return false;
                }

                if (written is not null)
                {
                    _shardETag = written;
                    _lastWritten = bytes;
                    Interlocked.Exchange(ref _lastWriteTimestamp, Stopwatch.GetTimestamp());
                    aggregator.RecordPersist(Stopwatch.GetElapsedTime(started), _time.GetUtcNow());
                    return true;
                }

                if (!await ResolveWriteConflictAsync(aggregator, cancellationToken).ConfigureAwait(false))
                {
                    aggregator.RecordPersistFailure();
                    return false;
                }
            }

            return false;
        }
        finally
        {
            _persistGate.Release();
        }
    }

    /// <summary>
    /// A conditional write failed: the shard is leased by a retirement round (try again later), was absorbed (take
    /// the absorbed version's bases out, then write over it or anew), or was written by someone else (a second
    /// companion configured with this instance id: refuse to overwrite it). Returns whether to retry now.
    /// </summary>
    private async Task<bool> ResolveWriteConflictAsync(MetricAggregator aggregator, CancellationToken cancellationToken)
    {
        var (current, leased) = await _store.ShardVersionAsync(InstanceId, cancellationToken).ConfigureAwait(false);
        if (leased)
        {
            Log.ShardLeased(_logger, InstanceId);
            return false;
        }

        var retired = await ReadRetiredAsync(cancellationToken).ConfigureAwait(false);
        var absorbedMine = _shardETag is not null && (current is null || retired?.HasAbsorbed(InstanceId, _shardETag) == true);
        if (absorbedMine && _lastWritten is not null)
        {
            aggregator.SubtractBases(AggregatorSnapshot.FromBytes(_lastWritten));
            Log.ShardAbsorbed(_logger, InstanceId);
        }

        if (current is null || retired?.HasAbsorbed(InstanceId, current) == true)
        {
            _shardETag = current;
            _lastWritten = null;
            return true;
        }

        Log.ShardTakenOver(_logger, InstanceId);
        return false;
    }

    /// <summary>
    /// Reads the shared retired state when it changed and drops from this companion's state what a round folded.
    /// Returns how many instances were dropped.
    /// </summary>
    public async Task<int> SyncRetirementsAsync(CancellationToken cancellationToken = default)
    {
        var retired = await ReadRetiredAsync(cancellationToken).ConfigureAwait(false);
        if (retired is not { Bytes.Length: > 0 } || retired.ETag == Volatile.Read(ref _appliedRetiredETag))
        {
            return 0;
        }

        var dropped = Aggregator.ApplyRetirements(AggregatorSnapshot.FromBytes(retired.Bytes));
        Volatile.Write(ref _appliedRetiredETag, retired.ETag);
        return dropped;
    }

    /// <summary>
    /// Runs a retirement round when this companion gets the lease (<see cref="SharedRetirement"/>), then applies its
    /// outcome here. Null when another companion held the lease.
    /// </summary>
    public async Task<SharedRetirementResult?> RunRetirementRoundAsync(CancellationToken cancellationToken = default)
    {
        var result = await _retirement.RunAsync(InstanceId, Aggregator.CreateSnapshot(), cancellationToken).ConfigureAwait(false);
        Interlocked.Exchange(ref _lastRetirementRound, Stopwatch.GetTimestamp());
        if (result is { Written: true })
        {
            Log.RetirementRound(_logger, InstanceId, result.Folded.InstanceIds.Count, result.ShardsAbsorbed.Count);
            await SyncRetirementsAsync(cancellationToken).ConfigureAwait(false);
            InvalidateMergeCache();
        }

        return result;
    }

    /// <summary>The retired state, re-downloaded only when its version changed.</summary>
    private async Task<RetiredState?> ReadRetiredAsync(CancellationToken cancellationToken)
    {
        var known = Volatile.Read(ref _retired);
        var read = await _store.ReadRetiredAsync(known?.ETag, cancellationToken).ConfigureAwait(false);
        if (ReferenceEquals(read, RetiredState.Unchanged))
        {
            return known;
        }

        Volatile.Write(ref _retired, read);
        return read;
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
                try
                {
                    await SyncRetirementsAsync(cancellationToken).ConfigureAwait(false);
                    if (Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastRetirementRound)) >= RetirementInterval)
                    {
                        await RunRetirementRoundAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.RetirementFailed(_logger, e, InstanceId);
                }
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

            // Shards first, then the retired state: a shard absorbed in between is then either read before its
            // absorption (and the retired state read is older or lists it) or not read at all.
            var shards = await _store.ReadAllShardsAsync(cancellationToken).ConfigureAwait(false);
            var retired = await ReadRetiredAsync(cancellationToken).ConfigureAwait(false);
            var snapshots = new List<AggregatorSnapshot>();
            if (retired is { Bytes.Length: > 0 })
            {
                try
                {
                    snapshots.Add(AggregatorSnapshot.FromBytes(retired.Bytes));
                }
                catch (InvalidDataException e)
                {
                    Log.CorruptShard(_logger, e, "retired");
                }
            }

            foreach (var shard in shards)
            {
                if (shard.InstanceId == InstanceId || retired?.HasAbsorbed(shard.InstanceId, shard.ETag) == true)
                {
                    continue; // the live state is newer than its blob; an absorbed version is in the retired state
                }

                try
                {
                    snapshots.Add(AggregatorSnapshot.FromBytes(shard.Bytes));
                }
                catch (InvalidDataException e)
                {
                    Log.CorruptShard(_logger, e, shard.InstanceId);
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

        [LoggerMessage(4, LogLevel.Information, "Companion shard {InstanceId} is leased by a retirement round; writing at the next interval")]
        public static partial void ShardLeased(ILogger logger, string instanceId);

        [LoggerMessage(5, LogLevel.Warning, "Companion shard {InstanceId} was absorbed by a retirement round (it was not written for longer than the retirement silence); continuing without its retired bases")]
        public static partial void ShardAbsorbed(ILogger logger, string instanceId);

        [LoggerMessage(6, LogLevel.Error, "Companion shard {InstanceId} was written by someone else: is a second companion configured with this instance id? Not overwriting it")]
        public static partial void ShardTakenOver(ILogger logger, string instanceId);

        [LoggerMessage(7, LogLevel.Information, "Retirement round by {InstanceId}: {Instances} instances folded, {Shards} stale shards absorbed")]
        public static partial void RetirementRound(ILogger logger, string instanceId, int instances, int shards);

        [LoggerMessage(8, LogLevel.Warning, "Retirement round or sync by {InstanceId} failed; retrying at the next interval")]
        public static partial void RetirementFailed(ILogger logger, Exception exception, string instanceId);
    }
}
