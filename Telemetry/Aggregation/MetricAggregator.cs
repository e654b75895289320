using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Telemetry.Aggregation.Otlp;
using Telemetry.Prometheus;

namespace Telemetry.Aggregation;

/// <summary>
/// The companion's exact aggregate of the metrics every gateway instance pushes (OTLP), served as one Prometheus
/// exposition.
/// <para>
/// Model: one entry per (instance, series), where the instance is the resource's <c>service.instance.id</c> and the
/// series is the Prometheus family name (from the metric's name, unit and type) plus its label set. Each entry keeps
/// the point with the newest <c>time_unix_nano</c>, so a retried or reordered push changes nothing. A family's value
/// is the sum over instances (gauges: see <see cref="GaugeAggregation"/>) plus the series' retired base, where
/// retired instances and folded runs live on, so totals never go down.
/// </para>
/// <para>Point rules, by OTLP kind:</para>
/// <list type="bullet">
/// <item>Cumulative monotonic sums → counters; cumulative histograms → histograms. A run is identified by its
/// <c>start_time_unix_nano</c>: a point with a later start (or, with the same start, a lower value) is a new run of a
/// restarted process that reused the id; the old run's last value is kept beside it (and folded into the retired base
/// when the instance retires, or when more than <see cref="AggregationState.MaxPreviousRuns"/> pile up), so a late
/// point of the old run still lands in the right run.</item>
/// <item>Delta sums and delta histograms are added to the entry, but only when newer than the last point applied to
/// it: a retried delta is ignored, and so is a delta that arrives after a newer one (it is lost, as in the
/// Collector's deltatocumulative processor). Delta is exact on one companion; across shards the newest accumulation
/// wins, so push cumulative.</item>
/// <item>Gauges and cumulative non-monotonic sums → gauges: last value per live instance.</item>
/// <item>Histograms merge only with identical bounds: the first point of a series establishes them, and a point with
/// other bounds is rejected. Exponential histograms and summaries are rejected.</item>
/// </list>
/// <para>
/// Thread safety: one lock guards the state. Label building, naming and validation run before it is taken, so a push
/// holds it only for dictionary lookups and a few additions per point; one lock (instead of one per family) keeps
/// the global series cap, retirement and snapshots consistent across families without lock ordering.
/// </para>
/// <para>
/// Speed: a push repeats the same metrics and attribute sets, so their Prometheus names, labels and series keys are
/// memoized (bounded, thread-safe caches keyed by everything they are computed from, see <see cref="LabelSetCache"/>),
/// and a newer point of a known run is written into that run in place.
/// </para>
/// </summary>
public sealed class MetricAggregator
{
    private readonly Lock _lock = new();
    private readonly AggregatorOptions _options;
    private readonly TimeProvider _time;
    private readonly AggregationState _state;
    private readonly AggregatorSelfMetrics _self = new();
    private readonly LabelSetCache _labelCache;
    private readonly LabelSetCache _targetCache = new(TargetCacheCapacity);
    private readonly ConcurrentDictionary<MetricDescriptor, DescribedMetric> _described = new();
    private readonly IdentityEntry?[] _labelsByIdentity = new IdentityEntry?[IdentitySlots];
    private readonly DescribedMetric?[] _describedByIdentity = new DescribedMetric?[IdentitySlots];
    private int _describedCount;

    /// <summary>
    /// Slots of the direct-mapped tables that find a memoized result by the identity of the request's objects (the
    /// decoders share attribute arrays and strings between pushes), before hashing their contents.
    /// </summary>
    private const int IdentitySlots = 4096;

    /// <summary>Distinct (name, unit, description, kind) metrics whose Prometheus description is memoized before it starts over.</summary>
    internal const int DescribedCacheCapacity = 4096;

    /// <summary>Distinct stable resource attribute sets (<c>target_info</c>) memoized before the cache starts over.</summary>
    internal const int TargetCacheCapacity = 256;

    /// <summary>The thread's list of prepared points, reused push after push (cleared after each).</summary>
    [ThreadStatic]
    private static List<PreparedPoint>? _threadPoints;

    public MetricAggregator(AggregatorOptions options, TimeProvider time)
        : this(options, time, new AggregationState())
    {
    }

    private MetricAggregator(AggregatorOptions options, TimeProvider time, AggregationState state)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        _options = options;
        _time = time;
        _state = state;
        _labelCache = new LabelSetCache(LabelCacheCapacity(options));
    }

    /// <summary>The memo of attribute sets → labels (see <see cref="LabelSetCache"/>); exposed for tests.</summary>
    internal LabelSetCache LabelCache => _labelCache;

    /// <summary>
    /// Attribute sets memoized before the label cache starts over: as many as series may exist (one set usually serves
    /// the same labels in several families), at least 1,024, at most 65,536.
    /// </summary>
    internal static int LabelCacheCapacity(AggregatorOptions options) => Math.Clamp(options.MaxSeries, 1024, 65_536);

    /// <summary>
    /// An aggregator that continues from <paramref name="snapshot"/>. Limits apply to new series only: a snapshot over
    /// them is loaded whole, since dropping series would lower totals.
    /// </summary>
    public static MetricAggregator Load(AggregatorOptions options, TimeProvider time, AggregatorSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return new(options, time, snapshot.State.Clone());
    }

    /// <summary>An aggregator that continues from the <see cref="AggregatorSnapshot.Merge(IEnumerable{AggregatorSnapshot})"/> of several shards' snapshots.</summary>
    public static MetricAggregator FromSnapshots(AggregatorOptions options, TimeProvider time, IEnumerable<AggregatorSnapshot> snapshots) =>
        Load(options, time, AggregatorSnapshot.Merge(snapshots));

    /// <summary>Applies one decoded OTLP request; the result feeds the response's <c>partial_success</c>.</summary>
    public IngestResult Ingest(OtlpMetricsRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var tally = new Tally();
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var points = _threadPoints ?? [];
        _threadPoints = null;
        try
        {
            foreach (var resource in request.ResourceMetrics)
            {
                if (AggregationLabels.InstanceId(resource.ResourceAttributes) is not { } instanceId)
                {
                    tally.Reject(IngestRejectReason.MissingInstanceId, resource.ScopeMetrics.Sum(static s => s.Metrics.Sum(static m => m.DataPointCount)));
                    continue;
                }

                points.Clear();
                Prepare(resource, tally, points);
                var targetLabels = TargetLabels(resource.ResourceAttributes);
                lock (_lock)
                {
                    var instance = Touch(instanceId, now, targetLabels);
                    foreach (ref readonly var point in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(points))
                    {
                        Apply(instance, point, tally);
                    }
                }
            }
        }
        finally
        {
            // Drop the references to the request; keep the list unless a huge push grew it.
            points.Clear();
            if (points.Capacity <= 4096)
            {
                _threadPoints = points;
            }
        }

        lock (_lock)
        {
            _self.PointsAccepted += tally.Accepted;
            _self.Duplicates += tally.Duplicates;
            _self.OutOfOrder += tally.OutOfOrder;
            _self.CounterResets += tally.CounterResets;
            _self.LabelValuesTruncated += tally.Truncated;
            for (var i = 0; i < tally.Rejected.Length; i++)
            {
                _self.Rejected[i] += tally.Rejected[i];
            }
        }

        return new IngestResult(tally.Accepted, tally.Duplicates, tally.OutOfOrder, tally.Rejected);
    }

    /// <summary>
    /// The aggregated families (sorted by name), then <c>otel_scope_info</c>, <c>target_info</c> (stable resource
    /// attributes of the live instances) and the <c>aggregator_*</c> self-metrics. Render with
    /// <see cref="PrometheusTextWriter"/>.
    /// </summary>
    public IReadOnlyList<MetricFamily> Collect()
    {
        var families = new List<MetricFamily>();
        lock (_lock)
        {
            AggregateRenderer.AddFamilies(_state, _options, families);
            _self.AddTo(families, _state);
        }

        return families;
    }

    /// <summary>A consistent copy of the whole state (entries, runs, retired bases, instances, tombstones).</summary>
    public AggregatorSnapshot CreateSnapshot()
    {
        lock (_lock)
        {
            return new AggregatorSnapshot(_state.Clone());
        }
    }

    /// <summary>Retires the instances silent for longer than <see cref="AggregatorOptions.RetireAfter"/>, by the aggregator's clock.</summary>
    public RetirementResult FoldRetiredInstances() => FoldRetiredInstances(_time.GetUtcNow(), _options.RetireAfter);

    /// <summary>
    /// Retires every instance not heard from since <paramref name="now"/> − <paramref name="silentFor"/>: its counter
    /// and histogram entries (all runs) are folded into their series' retired base, its gauge entries disappear, its
    /// bookkeeping is dropped and a tombstone remembers its id and newest point time (so that, if it pushes again, what
    /// was folded is not counted twice). Tombstones older than <see cref="AggregatorOptions.TombstoneRetention"/> are
    /// forgotten. With shards, run this on the merged state only (under the persistence lease): a shard that folded an
    /// instance whose newer points went to another shard would count them twice.
    /// </summary>
    public RetirementResult FoldRetiredInstances(DateTimeOffset now, TimeSpan silentFor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(silentFor, TimeSpan.Zero);
        var nowMs = now.ToUnixTimeMilliseconds();
        var cutoff = nowMs - (long)silentFor.TotalMilliseconds;
        lock (_lock)
        {
            var retired = _state.Instances.Values.Where(i => i.LastSeenUnixMs < cutoff).ToHashSet();
            int folded = 0, gaugesDropped = 0, seriesRemoved = 0;
            if (retired.Count > 0)
            {
                foreach (var metric in _state.Metrics.Values.ToList())
                {
                    foreach (var series in metric.Series.Values.ToList())
                    {
                        for (var i = series.Entries.Count - 1; i >= 0; i--)
                        {
                            var entry = series.Entries[i];
                            if (!retired.Contains(entry.Instance))
                            {
                                continue;
                            }

                            if (metric.Type == MetricFamilyType.Gauge)
                            {
                                gaugesDropped++;
                            }
                            else
                            {
                                foreach (var run in entry.AllRuns())
                                {
                                    series.AddToBase(run);
                                }

                                folded++;
                            }

                            series.Entries.RemoveAt(i);
                        }

                        if (series.Entries.Count == 0 && !series.HasBase)
                        {
                            metric.RemoveSeries(series.Key);
                            seriesRemoved++;
                        }
                    }

                    if (metric.Series.Count == 0)
                    {
                        _state.Metrics.Remove(metric.Name);
                    }
                }

                foreach (var instance in retired)
                {
                    _state.Instances.Remove(instance.Id);
                    _state.Tombstones[instance.Id] = new Tombstone(instance.Id, nowMs, instance.LastPointNano);
                }

                _self.InstancesRetired += retired.Count;
            }

            var forgetBefore = nowMs - (long)_options.TombstoneRetention.TotalMilliseconds;
            var pruned = 0;
            foreach (var tombstone in _state.Tombstones.Values.Where(t => t.RetiredAtUnixMs < forgetBefore).ToList())
            {
                _state.Tombstones.Remove(tombstone.Id);
                pruned++;
            }

            _state.Recount();
            return new RetirementResult([.. retired.Select(static i => i.Id).Order(StringComparer.Ordinal)], folded, gaugesDropped, seriesRemoved, pruned);
        }
    }

    /// <summary>
    /// Learns the retirements a shared retirement round recorded (storage mode, where no shard folds on its own): an
    /// instance whose newest point here is not newer than its tombstone's was folded already, so its entries and
    /// bookkeeping go; one that pushed newer points since is resumed (its runs up to the tombstone are dropped or
    /// baselined, as when a retired id pushes again); a tombstone of an instance not held here is kept, so a later
    /// push of it resumes instead of counting what was folded again. Tombstones past their retention are forgotten.
    /// Returns how many instances were dropped.
    /// </summary>
    public int ApplyRetirements(AggregatorSnapshot retired)
    {
        ArgumentNullException.ThrowIfNull(retired);
        lock (_lock)
        {
            var dropped = new HashSet<InstanceState>();
            foreach (var tombstone in retired.State.Tombstones.Values)
            {
                if (_state.Tombstones.TryGetValue(tombstone.Id, out var known) && known.LastPointNano >= tombstone.LastPointNano)
                {
                    continue;
                }

                if (!_state.Instances.TryGetValue(tombstone.Id, out var instance))
                {
                    _state.Tombstones[tombstone.Id] = tombstone;
                }
                else if (instance.LastPointNano <= tombstone.LastPointNano)
                {
                    dropped.Add(instance);
                    _state.Instances.Remove(instance.Id);
                    _state.Tombstones[tombstone.Id] = tombstone;
                }
                else if (instance.ResumedAfterNano < tombstone.LastPointNano)
                {
                    Resume(instance, tombstone.LastPointNano);
                }
            }

            if (dropped.Count > 0)
            {
                foreach (var metric in _state.Metrics.Values.ToList())
                {
                    foreach (var series in metric.Series.Values.ToList())
                    {
                        series.Entries.RemoveAll(e => dropped.Contains(e.Instance));
                        if (series.Entries.Count == 0 && !series.HasBase)
                        {
                            metric.RemoveSeries(series.Key);
                        }
                    }

                    if (metric.Series.Count == 0)
                    {
                        _state.Metrics.Remove(metric.Name);
                    }
                }
            }

            var forgetBefore = _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)_options.TombstoneRetention.TotalMilliseconds;
            foreach (var tombstone in _state.Tombstones.Values.Where(t => t.RetiredAtUnixMs < forgetBefore).ToList())
            {
                _state.Tombstones.Remove(tombstone.Id);
            }

            _state.Recount();
            return dropped.Count;
        }
    }

    /// <summary>
    /// Takes the retired bases of <paramref name="absorbed"/> (this aggregator's own earlier persisted state, which a
    /// retirement round absorbed into the shared retired state) out of this state, so they count once. Its entries
    /// stay: the newest point wins, so holding them twice changes nothing.
    /// </summary>
    public void SubtractBases(AggregatorSnapshot absorbed)
    {
        ArgumentNullException.ThrowIfNull(absorbed);
        lock (_lock)
        {
            foreach (var source in absorbed.State.Metrics.Values)
            {
                if (!_state.Metrics.TryGetValue(source.Name, out var metric) || metric.Type != source.Type)
                {
                    continue;
                }

                foreach (var sourceSeries in source.Series.Values.Where(static s => s.HasBase))
                {
                    if (!metric.Series.TryGetValue(sourceSeries.Key, out var series))
                    {
                        series = new SeriesState(sourceSeries.Key, sourceSeries.Labels) { Bounds = sourceSeries.Bounds };
                        metric.AddSeries(series);
                    }

                    series.SubtractFromBase(new RunRecord { Value = sourceSeries.BaseValue, Count = sourceSeries.BaseCount, Buckets = sourceSeries.BaseBuckets });
                }
            }

            _state.Recount();
        }
    }

    /// <summary>A resumed instance's runs: those not newer than the fold are dropped; those it continued are baselined.</summary>
    private void Resume(InstanceState instance, ulong foldedThroughNano)
    {
        instance.ResumedAfterNano = foldedThroughNano;
        _self.InstancesResumed++;
        foreach (var metric in _state.Metrics.Values)
        {
            foreach (var series in metric.Series.Values)
            {
                var index = series.IndexOf(instance.Id);
                if (index < 0)
                {
                    continue;
                }

                var entry = series.Entries[index];
                if (metric.Type == MetricFamilyType.Gauge || entry.IsDelta)
                {
                    continue;
                }

                var kept = new List<RunRecord>();
                foreach (var run in entry.AllRuns())
                {
                    if (run.Time <= foldedThroughNano)
                    {
                        continue;
                    }

                    BaselineIfResumed(instance, series, run);
                    kept.Add(run);
                }

                if (kept.Count == 0)
                {
                    series.Entries.RemoveAt(index);
                    continue;
                }

                entry.Current = kept[^1];
                entry.Previous = kept.Count > 1 ? kept.GetRange(0, kept.Count - 1) : null;
            }
        }
    }

    /// <summary>Hook for the persistence layer: a successful persist and how long it took.</summary>
    public void RecordPersist(TimeSpan duration, DateTimeOffset completedAt)
    {
        lock (_lock)
        {
            _self.LastPersistSeconds = duration.TotalSeconds;
            _self.LastPersistUnixSeconds = completedAt.ToUnixTimeMilliseconds() / 1000.0;
        }
    }

    /// <summary>Hook for the persistence layer: a failed persist.</summary>
    public void RecordPersistFailure()
    {
        lock (_lock)
        {
            _self.PersistFailures++;
        }
    }

    private InstanceState Touch(string id, long now, MetricLabel[] targetLabels)
    {
        if (!_state.Instances.TryGetValue(id, out var instance))
        {
            instance = new InstanceState(id);
            if (_state.Tombstones.Remove(id, out var tombstone))
            {
                instance.ResumedAfterNano = tombstone.LastPointNano;
                instance.LastPointNano = tombstone.LastPointNano;
                _self.InstancesResumed++;
            }

            _state.Instances.Add(id, instance);
        }

        instance.LastSeenUnixMs = Math.Max(instance.LastSeenUnixMs, now);
        instance.TargetLabels = targetLabels;
        return instance;
    }

    /// <summary>Names, labels and validation, outside the lock.</summary>
    private void Prepare(OtlpResourceMetrics resource, Tally tally, List<PreparedPoint> points)
    {
        foreach (var scope in resource.ScopeMetrics)
        {
            foreach (var metric in scope.Metrics)
            {
                switch (metric.Kind)
                {
                    case OtlpMetricKind.ExponentialHistogram:
                        tally.Reject(IngestRejectReason.ExponentialHistogram, metric.DataPointCount);
                        continue;
                    case OtlpMetricKind.Summary:
                        tally.Reject(IngestRejectReason.Summary, metric.DataPointCount);
                        continue;
                    case OtlpMetricKind.Sum or OtlpMetricKind.Histogram when metric.Temporality is not (OtlpTemporality.Delta or OtlpTemporality.Cumulative):
                        tally.Reject(IngestRejectReason.UnspecifiedTemporality, metric.DataPointCount);
                        continue;
                }

                var described = Describe(metric);
                foreach (var point in metric.NumberPoints)
                {
                    if (described.Type == MetricFamilyType.Histogram || (described.Type == MetricFamilyType.Counter && !(double.IsFinite(point.Value) && point.Value >= 0)))
                    {
                        tally.Reject(IngestRejectReason.InvalidPoint, 1);
                        continue;
                    }

                    if (Labels(point.Attributes, scope, described, tally) is { } labels)
                    {
                        points.Add(new(described, labels, point.StartTimeUnixNano, point.TimeUnixNano, point.Value, 0, null, null));
                    }
                }

                foreach (var point in metric.HistogramPoints)
                {
                    if (described.Type != MetricFamilyType.Histogram || !TryReadHistogram(point, out var bounds, out var buckets))
                    {
                        tally.Reject(IngestRejectReason.InvalidPoint, 1);
                        continue;
                    }

                    if (Labels(point.Attributes, scope, described, tally) is { } labels)
                    {
                        points.Add(new(described, labels, point.StartTimeUnixNano, point.TimeUnixNano, point.Sum ?? 0, point.Count, bounds, buckets));
                    }
                }

                // A decoder may count points of a kind it did not keep; they cannot be aggregated.
                if (metric.UnsupportedPointCount > 0)
                {
                    tally.Reject(IngestRejectReason.InvalidPoint, metric.UnsupportedPointCount);
                }
            }
        }
    }

    /// <summary>The point's labels and series key (memoized by attribute set), or null when it has too many labels.</summary>
    private PreparedLabels? Labels(IReadOnlyList<OtlpAttribute> attributes, OtlpScopeMetrics scope, DescribedMetric metric, Tally tally)
    {
        var histogram = metric.Type == MetricFamilyType.Histogram;
        var scopeName = scope.ScopeName ?? "";
        var scopeVersion = scope.ScopeVersion ?? "";

        // First by identity: a decoded push shares the attribute array of a known set. The entry is used only when
        // the array still holds exactly the set the labels were built from.
        var array = attributes as OtlpAttribute[];
        var slot = array is null ? 0 : (int)((uint)((RuntimeHelpers.GetHashCode(array) * 2) + (histogram ? 1 : 0)) % IdentitySlots);
        PreparedLabels? prepared;
        if (array is not null && Volatile.Read(ref _labelsByIdentity[slot]) is { } entry && ReferenceEquals(entry.Attributes, array)
            && entry.Prepared.Source.Matches(array, scopeName, scopeVersion, histogram))
        {
            prepared = entry.Prepared;
        }
        else
        {
            var key = LabelSetKey.For(attributes, scopeName, scopeVersion, histogram);
            if (!_labelCache.TryGet(key, out prepared))
            {
                var truncated = 0;
                var labels = AggregationLabels.Build(attributes, histogram, scopeName, scopeVersion, _options.MaxLabelsPerSeries, _options.MaxLabelValueLength, ref truncated);
                prepared = new PreparedLabels(labels, labels is null ? null : AggregationLabels.Key(labels), truncated, key.Detach());
                _labelCache.Add(prepared);
            }

            if (array is not null)
            {
                Volatile.Write(ref _labelsByIdentity[slot], new IdentityEntry(array, prepared));
            }
        }

        tally.Truncated += prepared.Truncated;
        if (prepared.Labels is null)
        {
            tally.Reject(IngestRejectReason.TooManyLabels, 1);
            return null;
        }

        return prepared;
    }

    /// <summary>The <c>target_info</c> labels of a resource (<see cref="AggregationLabels.TargetLabels"/>), memoized by its stable attributes.</summary>
    private MetricLabel[] TargetLabels(IReadOnlyList<OtlpAttribute> resourceAttributes)
    {
        var stable = AggregationLabels.StableAttributes(resourceAttributes);
        if (stable.Length == 0)
        {
            return [];
        }

        var key = LabelSetKey.For(stable, "", "", histogram: false);
        if (!_targetCache.TryGet(key, out var prepared))
        {
            prepared = new PreparedLabels(AggregationLabels.TargetLabels(stable), null, 0, key.Detach());
            _targetCache.Add(prepared);
        }

        return prepared.Labels!;
    }

    private static string ShortenedHelp(string help, int length)
    {
        if (help.Length <= length)
        {
            return help;
        }

        return help[..(char.IsHighSurrogate(help[length - 1]) ? length - 1 : length)];
    }

    /// <summary>The Prometheus description of an OTLP metric, memoized (bounded: it starts over when full).</summary>
    private DescribedMetric Describe(OtlpMetric metric)
    {
        // A name, unit or description longer than the label limit is shortened like a label value (names keep a hash,
        // so they stay apart), so no push can make one series cost megabytes.
        var limit = Math.Max(_options.MaxLabelValueLength, AggregationLabels.MinNameLength);
        var descriptor = new MetricDescriptor(
            AggregationLabels.Bound(metric.Name ?? "", limit, '_'),
            AggregationLabels.Bound(metric.Unit ?? "", limit, '_'),
            ShortenedHelp(metric.Description ?? "", 4 * limit),
            metric.Kind,
            metric.Temporality,
            metric.IsMonotonic);

        // First by the identity of the (interned) name: the slot's entry is used only for an equal descriptor.
        var slot = (int)((uint)((RuntimeHelpers.GetHashCode(descriptor.Name) * 31) + (int)descriptor.Kind) % IdentitySlots);
        if (Volatile.Read(ref _describedByIdentity[slot]) is { } known && known.Descriptor == descriptor)
        {
            return known;
        }

        if (_described.TryGetValue(descriptor, out var described))
        {
            Volatile.Write(ref _describedByIdentity[slot], described);
            return described;
        }

        described = DescribeUncached(metric, descriptor);
        Volatile.Write(ref _describedByIdentity[slot], described);
        if (Interlocked.Increment(ref _describedCount) > DescribedCacheCapacity)
        {
            _described.Clear();
            Interlocked.Exchange(ref _describedCount, 1);
        }

        if (!_described.TryAdd(descriptor, described))
        {
            Interlocked.Decrement(ref _describedCount);
        }

        return described;
    }

    private static DescribedMetric DescribeUncached(OtlpMetric metric, MetricDescriptor descriptor)
    {
        var (type, mode) = metric.Kind switch
        {
            OtlpMetricKind.Sum when metric.Temporality == OtlpTemporality.Delta => (metric.IsMonotonic ? MetricFamilyType.Counter : MetricFamilyType.Gauge, PointMode.Accumulate),
            OtlpMetricKind.Sum when metric.IsMonotonic => (MetricFamilyType.Counter, PointMode.Cumulative),
            OtlpMetricKind.Histogram when metric.Temporality == OtlpTemporality.Delta => (MetricFamilyType.Histogram, PointMode.Accumulate),
            OtlpMetricKind.Histogram => (MetricFamilyType.Histogram, PointMode.Cumulative),
            _ => (MetricFamilyType.Gauge, PointMode.Replace),
        };
        return new(PrometheusNaming.MetricName(descriptor.Name, descriptor.Unit, type), type, mode, descriptor.Description, descriptor.Unit, descriptor);
    }

    /// <summary>
    /// Bounds finite and strictly ascending, one bucket more than bounds (or none: a single bucket), buckets adding up
    /// to the count. The arrays are the point's own when it has arrays (borrowed: copied before the state keeps them).
    /// </summary>
    private static bool TryReadHistogram(OtlpHistogramPoint point, out double[] bounds, out ulong[] buckets)
    {
        bounds = point.ExplicitBounds as double[] ?? [.. point.ExplicitBounds];
        buckets = point.BucketCounts.Count == 0 && bounds.Length == 0 ? [point.Count] : point.BucketCounts as ulong[] ?? [.. point.BucketCounts];
        if (buckets.Length != bounds.Length + 1)
        {
            return false;
        }

        for (var i = 0; i < bounds.Length; i++)
        {
            if (!double.IsFinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
            {
                return false;
            }
        }

        ulong total = 0;
        foreach (var count in buckets)
        {
            total = unchecked(total + count);
        }

        return total == point.Count;
    }

    /// <summary>Applies one point under the lock.</summary>
    private void Apply(InstanceState instance, in PreparedPoint point, Tally tally)
    {
        if (point.Time <= instance.ResumedAfterNano)
        {
            // Folded into the retired base already when the instance retired.
            tally.OutOfOrder++;
            return;
        }

        _state.Metrics.TryGetValue(point.Metric.Name, out var metric);
        if (metric is not null && metric.Type != point.Metric.Type)
        {
            tally.Reject(IngestRejectReason.TypeConflict, 1);
            return;
        }

        SeriesState? series = null;
        if (metric is null || !metric.TryGetSeries(point.Prepared, out series))
        {
            if (_state.SeriesCount >= _options.MaxSeries)
            {
                tally.Reject(IngestRejectReason.SeriesLimit, 1);
                return;
            }

            if (metric is not null && metric.Series.Count >= _options.MaxSeriesPerMetric)
            {
                tally.Reject(IngestRejectReason.MetricSeriesLimit, 1);
                return;
            }

            if (metric is null)
            {
                metric = new MetricState(point.Metric.Name, point.Metric.Type, point.Metric.Help, point.Metric.Unit);
                _state.Metrics.Add(metric.Name, metric);
            }

            series = new SeriesState(point.Key, point.Labels) { Bounds = point.Bounds is { } bounds ? [.. bounds] : null };
            metric.AddSeries(series);
            _state.SeriesCount++;
        }
        else if (metric.Type == MetricFamilyType.Histogram && !AggregationState.BoundsEqual(series.Bounds, point.Bounds))
        {
            tally.Reject(IngestRejectReason.HistogramBoundsMismatch, 1);
            return;
        }

        var index = series.IndexOf(instance.Id);
        if (index < 0)
        {
            var run = NewRun(point);
            series.Entries.Insert(~index, new SeriesEntry(instance, run, point.Metric.Mode == PointMode.Accumulate));
            _state.EntryCount++;
            if (point.Metric.Mode == PointMode.Cumulative)
            {
                BaselineIfResumed(instance, series, run);
            }

            Accept(instance, point, tally);
            return;
        }

        var entry = series.Entries[index];
        var outcome = point.Metric.Mode switch
        {
            PointMode.Replace => Replace(entry, point),
            PointMode.Accumulate => Accumulate(entry, point),
            _ => ApplyCumulative(instance, series, entry, point, tally),
        };
        switch (outcome)
        {
            case Outcome.Applied:
                Accept(instance, point, tally);
                break;
            case Outcome.Duplicate:
                tally.Duplicates++;
                break;
            default:
                tally.OutOfOrder++;
                break;
        }
    }

    private static void Accept(InstanceState instance, in PreparedPoint point, Tally tally)
    {
        instance.LastPointNano = Math.Max(instance.LastPointNano, point.Time);
        tally.Accepted++;
    }

    private static Outcome Replace(SeriesEntry entry, in PreparedPoint point)
    {
        if (Order(point.Time, entry.Current.Time) is { } stale)
        {
            return stale;
        }

        Overwrite(entry.Current, point, point.Start);
        entry.IsDelta = false;
        return Outcome.Applied;
    }

    private static Outcome Accumulate(SeriesEntry entry, in PreparedPoint point)
    {
        if (Order(point.Time, entry.Current.Time) is { } stale)
        {
            return stale;
        }

        var current = entry.Current;
        current.Time = point.Time;
        current.Value += point.Value;
        current.Count = unchecked(current.Count + point.Count);
        if (point.Buckets is { } buckets)
        {
            var target = current.Buckets ??= new ulong[buckets.Length];
            for (var i = 0; i < target.Length && i < buckets.Length; i++)
            {
                target[i] = unchecked(target[i] + buckets[i]);
            }
        }

        entry.IsDelta = true;
        return Outcome.Applied;
    }

    /// <summary>
    /// A cumulative counter or histogram point: runs are told apart by start time (0 = unknown: the current run).
    /// A lower value within the same run is a restart the start time did not reveal; the old run is folded into the
    /// base then, since a later point of it could not be attributed.
    /// </summary>
    private static Outcome ApplyCumulative(InstanceState instance, SeriesState series, SeriesEntry entry, in PreparedPoint point, Tally tally)
    {
        var current = entry.Current;
        entry.IsDelta = false;
        if (point.Start == current.Start || point.Start == 0 || current.Start == 0)
        {
            if (Order(point.Time, current.Time) is { } stale)
            {
                return stale;
            }

            // The run is updated in place: nothing else holds it (snapshots copy), and a run folded into the base
            // was added by value.
            var start = point.Start;
            if (Decreased(current, point))
            {
                series.AddToBase(current);
                tally.CounterResets++;
            }
            else if (start == 0)
            {
                start = current.Start;
            }

            Overwrite(current, point, start);
            return Outcome.Applied;
        }

        if (point.Start > current.Start)
        {
            // A later run whose newest point is not newer than the current run's is inconsistent: ignore it.
            if (point.Time <= current.Time)
            {
                return Outcome.OutOfOrder;
            }

            var run = NewRun(point);
            entry.AddPrevious(current, series);
            entry.Current = run;
            tally.CounterResets++;
            BaselineIfResumed(instance, series, run);
            return Outcome.Applied;
        }

        if (point.Start <= entry.FoldedThroughStart)
        {
            return Outcome.OutOfOrder;
        }

        if (entry.FindPrevious(point.Start) is not { } previous)
        {
            // A late point of an earlier run this entry has not seen yet.
            var run = NewRun(point);
            entry.AddPrevious(run, series);
            tally.CounterResets++;
            BaselineIfResumed(instance, series, run);
            return Outcome.Applied;
        }

        if (Order(point.Time, previous.Time) is { } older)
        {
            return older;
        }

        Overwrite(previous, point, previous.Start);
        return Outcome.Applied;
    }

    /// <summary>
    /// A run of a resumed instance that may have been folded when it retired (it started before the instance's last
    /// point then): its first value is taken out of the base, so only what it adds from now on counts. What it added
    /// between its last point before retirement and this one is lost, which beats counting its whole history twice.
    /// </summary>
    private static void BaselineIfResumed(InstanceState instance, SeriesState series, RunRecord run)
    {
        if (instance.ResumedAfterNano != 0 && (run.Start == 0 || run.Start <= instance.ResumedAfterNano))
        {
            series.SubtractFromBase(run);
        }
    }

    private static bool Decreased(RunRecord current, in PreparedPoint next)
    {
        if (next.Value < current.Value && next.Buckets is null)
        {
            return true;
        }

        if (next.Buckets is null || current.Buckets is null)
        {
            return false;
        }

        if (next.Count < current.Count)
        {
            return true;
        }

        for (var i = 0; i < next.Buckets.Length && i < current.Buckets.Length; i++)
        {
            if (next.Buckets[i] < current.Buckets[i])
            {
                return true;
            }
        }

        return false;
    }

    private static Outcome? Order(ulong time, ulong applied) =>
        time == applied ? Outcome.Duplicate : time < applied ? Outcome.OutOfOrder : null;

    private static RunRecord NewRun(in PreparedPoint point) => new()
    {
        Start = point.Start,
        Time = point.Time,
        Value = point.Value,
        Count = point.Count,
        Buckets = point.Buckets is { } buckets ? [.. buckets] : null,
    };

    /// <summary>Writes the point into <paramref name="run"/> (its bucket array reused when the size matches: the point's is borrowed).</summary>
    private static void Overwrite(RunRecord run, in PreparedPoint point, ulong start)
    {
        run.Start = start;
        run.Time = point.Time;
        run.Value = point.Value;
        run.Count = point.Count;
        if (point.Buckets is not { } buckets)
        {
            run.Buckets = null;
        }
        else if (run.Buckets is { } target && target.Length == buckets.Length)
        {
            buckets.CopyTo(target, 0);
        }
        else
        {
            run.Buckets = [.. buckets];
        }
    }

    private enum PointMode
    {
        /// <summary>Last value wins (gauges, cumulative non-monotonic sums).</summary>
        Replace,

        /// <summary>Added to the entry (delta sums and histograms).</summary>
        Accumulate,

        /// <summary>Newest value per run (cumulative monotonic sums and histograms).</summary>
        Cumulative,
    }

    private enum Outcome
    {
        Applied,
        Duplicate,
        OutOfOrder,
    }

    private sealed record DescribedMetric(string Name, MetricFamilyType Type, PointMode Mode, string Help, string Unit, MetricDescriptor Descriptor);

    /// <summary>A memoized attribute set found by the identity of the request's array (<see cref="Labels"/>).</summary>
    private sealed record IdentityEntry(OtlpAttribute[] Attributes, PreparedLabels Prepared);

    /// <summary>Everything <see cref="DescribeUncached"/> reads of a metric.</summary>
    private readonly record struct MetricDescriptor(string Name, string Unit, string Description, OtlpMetricKind Kind, OtlpTemporality Temporality, bool IsMonotonic);

    /// <summary>A validated point with its labels. <see cref="Bounds"/> and <see cref="Buckets"/> may be the request's own arrays: copy before keeping.</summary>
    private readonly record struct PreparedPoint(
        DescribedMetric Metric,
        PreparedLabels Prepared,
        ulong Start,
        ulong Time,
        double Value,
        ulong Count,
        double[]? Bounds,
        ulong[]? Buckets)
    {
        public MetricLabel[] Labels => Prepared.Labels!;

        public string Key => Prepared.Key!;
    }

    private sealed class Tally
    {
        public int Accepted { get; set; }

        public int Duplicates { get; set; }

        public int OutOfOrder { get; set; }

        public int CounterResets { get; set; }

        public int Truncated { get; set; }

        public int[] Rejected { get; } = new int[Enum.GetValues<IngestRejectReason>().Length];

        public void Reject(IngestRejectReason reason, int count) => Rejected[(int)reason] += count;
    }
}
