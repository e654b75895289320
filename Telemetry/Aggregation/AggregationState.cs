using Telemetry.Prometheus;

namespace Telemetry.Aggregation;

/// <summary>
/// Everything the companion must not lose: per metric family, per series, the retired base and one entry per
/// reporting instance, plus the instances and the tombstones of retired ones. <see cref="MetricAggregator"/> mutates
/// one under its lock; an <see cref="AggregatorSnapshot"/> owns a private deep copy.
/// </summary>
internal sealed class AggregationState
{
    /// <summary>Completed runs kept per entry before the oldest is folded into the retired base.</summary>
    public const int MaxPreviousRuns = 4;

    public Dictionary<string, MetricState> Metrics { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, InstanceState> Instances { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Tombstone> Tombstones { get; } = new(StringComparer.Ordinal);

    public int SeriesCount { get; set; }

    public int EntryCount { get; set; }

    public AggregationState Clone()
    {
        var clone = new AggregationState();
        clone.MergeFrom(this);
        clone.Recount();
        return clone;
    }

    /// <summary>
    /// Adds <paramref name="other"/> into this state (the shard merge rule): instances keep their newest sighting;
    /// per (instance, series) the newest point wins, per run for cumulative counters and histograms; retired bases are
    /// added. Call <see cref="Normalize"/> once all sources are in.
    /// </summary>
    public void MergeFrom(AggregationState other)
    {
        foreach (var source in other.Instances.Values)
        {
            if (Instances.TryGetValue(source.Id, out var instance))
            {
                if (source.LastSeenUnixMs > instance.LastSeenUnixMs)
                {
                    instance.LastSeenUnixMs = source.LastSeenUnixMs;
                    instance.TargetLabels = source.TargetLabels;
                }

                instance.LastPointNano = Math.Max(instance.LastPointNano, source.LastPointNano);
                instance.ResumedAfterNano = Math.Max(instance.ResumedAfterNano, source.ResumedAfterNano);
            }
            else
            {
                Instances.Add(source.Id, new InstanceState(source.Id)
                {
                    LastSeenUnixMs = source.LastSeenUnixMs,
                    LastPointNano = source.LastPointNano,
                    ResumedAfterNano = source.ResumedAfterNano,
                    TargetLabels = source.TargetLabels,
                });
            }
        }

        foreach (var source in other.Tombstones.Values)
        {
            Tombstones[source.Id] = Tombstones.TryGetValue(source.Id, out var tombstone)
                ? new Tombstone(source.Id, Math.Max(source.RetiredAtUnixMs, tombstone.RetiredAtUnixMs), Math.Max(source.LastPointNano, tombstone.LastPointNano))
                : source;
        }

        foreach (var sourceMetric in other.Metrics.Values)
        {
            if (!Metrics.TryGetValue(sourceMetric.Name, out var metric))
            {
                metric = new MetricState(sourceMetric.Name, sourceMetric.Type, sourceMetric.Help, sourceMetric.Unit);
                Metrics.Add(metric.Name, metric);
            }
            else if (metric.Type != sourceMetric.Type)
            {
                // The first type wins, as in Go's exporter; the other shard's series of that name cannot be rendered.
                continue;
            }
            else if (metric.Help.Length == 0)
            {
                metric.Help = sourceMetric.Help;
            }

            foreach (var sourceSeries in sourceMetric.Series.Values)
            {
                MergeSeries(metric, sourceSeries);
            }
        }
    }

    /// <summary>
    /// After a merge: an instance tombstoned at or after its newest sighting was folded already, so its entries go;
    /// one seen after its tombstone was resumed by the shard that saw it, so the tombstone goes. Empty series and
    /// metrics are dropped and the counts recomputed.
    /// </summary>
    public void Normalize()
    {
        var folded = new HashSet<InstanceState>();
        foreach (var tombstone in Tombstones.Values.ToList())
        {
            if (!Instances.TryGetValue(tombstone.Id, out var instance))
            {
                continue;
            }

            if (tombstone.RetiredAtUnixMs >= instance.LastSeenUnixMs)
            {
                folded.Add(instance);
                Instances.Remove(instance.Id);
            }
            else
            {
                Tombstones.Remove(tombstone.Id);
            }
        }

        foreach (var metric in Metrics.Values.ToList())
        {
            foreach (var series in metric.Series.Values.ToList())
            {
                if (folded.Count > 0)
                {
                    series.Entries.RemoveAll(e => folded.Contains(e.Instance));
                }

                if (series.Entries.Count == 0 && !series.HasBase)
                {
                    metric.RemoveSeries(series.Key);
                }
            }

            if (metric.Series.Count == 0)
            {
                Metrics.Remove(metric.Name);
            }
        }

        Recount();
    }

    public void Recount()
    {
        SeriesCount = 0;
        EntryCount = 0;
        foreach (var metric in Metrics.Values)
        {
            SeriesCount += metric.Series.Count;
            foreach (var series in metric.Series.Values)
            {
                EntryCount += series.Entries.Count;
            }
        }
    }

    private void MergeSeries(MetricState metric, SeriesState source)
    {
        if (!metric.Series.TryGetValue(source.Key, out var series))
        {
            series = new SeriesState(source.Key, source.Labels) { Bounds = source.Bounds };
            metric.AddSeries(series);
        }
        else if (!BoundsEqual(series.Bounds, source.Bounds))
        {
            // Buckets with other bounds cannot be added; the first snapshot's series wins.
            return;
        }

        if (source.HasBase)
        {
            series.AddToBase(source.BaseValue, source.BaseCount, source.BaseBuckets);
        }

        foreach (var sourceEntry in source.Entries)
        {
            var instance = Instances[sourceEntry.Instance.Id];
            var index = series.IndexOf(instance.Id);
            if (index < 0)
            {
                series.Entries.Insert(~index, sourceEntry.CloneFor(instance));
                continue;
            }

            var entry = series.Entries[index];
            if (entry.IsDelta || sourceEntry.IsDelta || metric.Type == MetricFamilyType.Gauge)
            {
                // Accumulated deltas from two shards are different sums, not versions of one: the newest wins.
                if (sourceEntry.Current.Time > entry.Current.Time)
                {
                    series.Entries[index] = sourceEntry.CloneFor(instance);
                }

                continue;
            }

            MergeRuns(series, entry, sourceEntry);
        }
    }

    /// <summary>Cumulative runs are keyed by their start time: per run, the newest point wins.</summary>
    private static void MergeRuns(SeriesState series, SeriesEntry entry, SeriesEntry source)
    {
        var runs = new SortedDictionary<ulong, RunRecord>();
        foreach (var run in entry.AllRuns().Concat(source.AllRuns()))
        {
            if (!runs.TryGetValue(run.Start, out var kept) || run.Time > kept.Time)
            {
                runs[run.Start] = run.Clone();
            }
        }

        entry.FoldedThroughStart = Math.Max(entry.FoldedThroughStart, source.FoldedThroughStart);
        var ordered = runs.Values.Where(r => entry.FoldedThroughStart == 0 || r.Start > entry.FoldedThroughStart).ToList();
        if (ordered.Count == 0)
        {
            return;
        }

        entry.Current = ordered[^1];
        entry.Previous = ordered.Count > 1 ? ordered.GetRange(0, ordered.Count - 1) : null;
        entry.TrimPreviousRuns(series);
    }

    internal static bool BoundsEqual(double[]? a, double[]? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        return a.AsSpan().SequenceEqual(b);
    }
}

/// <summary>One Prometheus family: its type, help and unit are those of the first metric seen with its name.</summary>
internal sealed class MetricState(string name, MetricFamilyType type, string help, string unit)
{
    private readonly Dictionary<PreparedLabels, SeriesState> _byPrepared = new(ReferenceEqualityComparer.Instance);
    private SeriesState[]? _expositionOrder;

    public string Name { get; } = name;

    public MetricFamilyType Type { get; } = type;

    public string Help { get; set; } = help;

    public string Unit { get; } = unit;

    /// <summary>The series by key. Read it freely; change it only through <see cref="AddSeries"/>, <see cref="TryAddSeries"/> and <see cref="RemoveSeries"/>.</summary>
    public Dictionary<string, SeriesState> Series { get; } = new(StringComparer.Ordinal);

    public void AddSeries(SeriesState series)
    {
        Series.Add(series.Key, series);
        _expositionOrder = null;
    }

    public bool TryAddSeries(SeriesState series)
    {
        if (!Series.TryAdd(series.Key, series))
        {
            return false;
        }

        _expositionOrder = null;
        return true;
    }

    public bool RemoveSeries(string key)
    {
        if (!Series.Remove(key))
        {
            return false;
        }

        _expositionOrder = null;
        _byPrepared.Clear();
        return true;
    }

    /// <summary>
    /// The series of a point's prepared labels: found by the identity of the (memoized) <paramref name="prepared"/>
    /// when it was looked up before, by its key otherwise. The identity map forgets everything when a series is
    /// removed, and when it outgrows the series (memo entries that were replaced).
    /// </summary>
    public bool TryGetSeries(PreparedLabels prepared, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out SeriesState series)
    {
        if (_byPrepared.TryGetValue(prepared, out series))
        {
            return true;
        }

        if (!Series.TryGetValue(prepared.Key!, out series))
        {
            return false;
        }

        if (_byPrepared.Count >= (2 * Series.Count) + 64)
        {
            _byPrepared.Clear();
        }

        _byPrepared[prepared] = series;
        return true;
    }

    /// <summary>
    /// The series in the order the exposition lists them (Go's: fewer labels first, then label values; see
    /// <see cref="PrometheusTextWriter"/>), sorted once and kept until a series is added or removed.
    /// </summary>
    public SeriesState[] ExpositionOrder()
    {
        if (_expositionOrder is null)
        {
            var ordered = Series.Values.ToArray();
            Array.Sort(ordered, static (a, b) => PrometheusTextWriter.CompareSeries(a.Labels, b.Labels));
            _expositionOrder = ordered;
        }

        return _expositionOrder;
    }
}

/// <summary>
/// One series (label set) of a family: the histogram bounds it was established with, the retired base (what retired
/// instances and folded runs contributed) and one entry per live instance, kept sorted by instance id so lookups are
/// binary searches and sums always run in the same order.
/// </summary>
internal sealed class SeriesState(string key, MetricLabel[] labels)
{
    private byte[]? _labelBlock;
    private (string Name, string Version)? _scope;

    public string Key { get; } = key;

    public MetricLabel[] Labels { get; } = labels;

    /// <summary>The labels as the text writer's UTF-8 label block, made on first use (the labels never change).</summary>
    public byte[] LabelBlock => _labelBlock ??= PrometheusTextWriter.LabelBlock(Labels);

    /// <summary>The values of the <c>otel_scope_name</c> and <c>otel_scope_version</c> labels ("" when absent).</summary>
    public (string Name, string Version) Scope => _scope ??= (LabelValue(OpenTelemetryTranslator.ScopeNameLabel), LabelValue(OpenTelemetryTranslator.ScopeVersionLabel));

    public double[]? Bounds { get; set; }

    public List<SeriesEntry> Entries { get; } = [];

    public bool HasBase { get; private set; }

    public double BaseValue { get; private set; }

    public ulong BaseCount { get; private set; }

    public ulong[]? BaseBuckets { get; private set; }

    /// <summary>The entry's index, or the bitwise complement of where it belongs.</summary>
    public int IndexOf(string instanceId)
    {
        int low = 0, high = Entries.Count - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            var order = string.CompareOrdinal(Entries[middle].Instance.Id, instanceId);
            if (order == 0)
            {
                return middle;
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return ~low;
    }

    public void AddToBase(RunRecord run) => AddToBase(run.Value, run.Count, run.Buckets);

    private string LabelValue(string name)
    {
        foreach (var label in Labels)
        {
            if (label.Name == name)
            {
                return label.Value;
            }
        }

        return "";
    }

    /// <summary>
    /// Bucket counts wrap modulo 2^64: a resumed instance's baseline is subtracted (<see cref="SubtractFromBase"/>) and
    /// added back when it retires again, so only the total (base plus entries) has to be non-negative.
    /// </summary>
    public void AddToBase(double value, ulong count, ulong[]? buckets)
    {
        HasBase = true;
        BaseValue += value;
        BaseCount = unchecked(BaseCount + count);
        if (buckets is not null)
        {
            var target = BaseBuckets ??= new ulong[buckets.Length];
            for (var i = 0; i < target.Length && i < buckets.Length; i++)
            {
                target[i] = unchecked(target[i] + buckets[i]);
            }
        }
    }

    public void SubtractFromBase(RunRecord run)
    {
        HasBase = true;
        BaseValue -= run.Value;
        BaseCount = unchecked(BaseCount - run.Count);
        if (run.Buckets is { } buckets)
        {
            var target = BaseBuckets ??= new ulong[buckets.Length];
            for (var i = 0; i < target.Length && i < buckets.Length; i++)
            {
                target[i] = unchecked(target[i] - buckets[i]);
            }
        }
    }

    public void ClearBase()
    {
        HasBase = false;
        BaseValue = 0;
        BaseCount = 0;
        BaseBuckets = null;
    }

    /// <summary>Restores a base read from a snapshot.</summary>
    public void SetBase(double value, ulong count, ulong[]? buckets)
    {
        HasBase = true;
        BaseValue = value;
        BaseCount = count;
        BaseBuckets = buckets;
    }
}

/// <summary>One instance's contribution to one series: its current run, and completed runs of earlier processes that reused its id.</summary>
internal sealed class SeriesEntry(InstanceState instance, RunRecord current, bool isDelta)
{
    public InstanceState Instance { get; } = instance;

    public RunRecord Current { get; set; } = current;

    /// <summary>Completed runs (same instance id, earlier start time), ascending by start; null when none.</summary>
    public List<RunRecord>? Previous { get; set; }

    /// <summary>The newest start of a run already folded into the base because too many runs piled up (0: none).</summary>
    public ulong FoldedThroughStart { get; set; }

    /// <summary>Whether the last point applied was delta (accumulated) rather than cumulative.</summary>
    public bool IsDelta { get; set; } = isDelta;

    public IEnumerable<RunRecord> AllRuns() => Previous is null ? [Current] : Previous.Append(Current);

    public RunRecord? FindPrevious(ulong start) => Previous?.Find(r => r.Start == start);

    public void AddPrevious(RunRecord run, SeriesState series)
    {
        Previous ??= [];
        var index = Previous.FindIndex(r => r.Start > run.Start);
        Previous.Insert(index < 0 ? Previous.Count : index, run);
        TrimPreviousRuns(series);
    }

    public void TrimPreviousRuns(SeriesState series)
    {
        while (Previous is { Count: > AggregationState.MaxPreviousRuns })
        {
            var oldest = Previous[0];
            Previous.RemoveAt(0);
            series.AddToBase(oldest);
            FoldedThroughStart = Math.Max(FoldedThroughStart, oldest.Start);
        }
    }

    public SeriesEntry CloneFor(InstanceState instance) => new(instance, Current.Clone(), IsDelta)
    {
        Previous = Previous?.ConvertAll(r => r.Clone()),
        FoldedThroughStart = FoldedThroughStart,
    };
}

/// <summary>The newest point of one run: a counter or gauge value, or a histogram (sum in <see cref="Value"/>, per-bucket counts).</summary>
internal sealed class RunRecord
{
    public ulong Start { get; set; }

    public ulong Time { get; set; }

    public double Value { get; set; }

    public ulong Count { get; set; }

    /// <summary>Per-bucket (not cumulative) counts, one more than the series' bounds; null for counters and gauges.</summary>
    public ulong[]? Buckets { get; set; }

    public RunRecord Clone() => new() { Start = Start, Time = Time, Value = Value, Count = Count, Buckets = (ulong[]?)Buckets?.Clone() };
}

/// <summary>A gateway instance (one <c>service.instance.id</c>) the companion has heard from and not retired.</summary>
internal sealed class InstanceState(string id)
{
    public string Id { get; } = id;

    /// <summary>When the companion last received a push from it (companion clock).</summary>
    public long LastSeenUnixMs { get; set; }

    /// <summary>The newest point time accepted from it; becomes the tombstone's cut-off when it retires.</summary>
    public ulong LastPointNano { get; set; }

    /// <summary>Non-zero when the id was retired and came back: points up to this time were folded already.</summary>
    public ulong ResumedAfterNano { get; set; }

    /// <summary>Its stable resource attributes as <c>target_info</c> labels.</summary>
    public MetricLabel[] TargetLabels { get; set; } = [];
}

/// <summary>A retired instance id: its values are in the retired base up to <paramref name="LastPointNano"/>.</summary>
internal sealed record Tombstone(string Id, long RetiredAtUnixMs, ulong LastPointNano);
