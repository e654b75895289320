namespace Telemetry.Aggregation;

/// <summary>
/// An immutable copy of a <see cref="MetricAggregator"/>'s state: per (instance, series) entries with their runs,
/// per-series retired bases and histogram bounds, live instances and retired-instance tombstones. Self-metrics are
/// not included. Persist it with <see cref="ToBytes"/> (compact, versioned binary; see
/// <see cref="AggregatorSnapshotSerializer"/>) and read it back with <see cref="FromBytes"/>.
/// </summary>
public sealed class AggregatorSnapshot
{
    internal AggregatorSnapshot(AggregationState state)
    {
        State = state;
    }

    /// <summary>The binary format version <see cref="ToBytes"/> writes.</summary>
    public static int FormatVersion => AggregatorSnapshotSerializer.Version;

    /// <summary>An empty snapshot (a companion that has received nothing).</summary>
    public static AggregatorSnapshot Empty => new(new AggregationState());

    /// <summary>Series held (over all families).</summary>
    public int SeriesCount => State.SeriesCount;

    /// <summary>Per-instance entries held (one per instance and series).</summary>
    public int EntryCount => State.EntryCount;

    /// <summary>Live instances held.</summary>
    public int InstanceCount => State.Instances.Count;

    /// <summary>Never mutated: aggregators and merges copy it.</summary>
    internal AggregationState State { get; }

    /// <summary>The snapshot in the binary format (deterministic: the same state always gives the same bytes).</summary>
    public byte[] ToBytes() => AggregatorSnapshotSerializer.Serialize(State);

    /// <summary>Reads <see cref="ToBytes"/>'s output; throws <see cref="InvalidDataException"/> when it is not a valid snapshot.</summary>
    public static AggregatorSnapshot FromBytes(ReadOnlySpan<byte> data) => new(AggregatorSnapshotSerializer.Deserialize(data));

    /// <summary>
    /// Merges the snapshots of several companion instances (shards) into one, as if one companion had received every
    /// push:
    /// <list type="bullet">
    /// <item>per (instance, series), the newest point wins; for cumulative counters and histograms this holds per run
    /// (start time), so a restart seen by one shard and the old run's last point seen by another both count;</item>
    /// <item>retired bases are added: each shard's base holds what that shard folded, so a base must come from exactly
    /// one of the snapshots (never merge two snapshots that both continued from the same merged state);</item>
    /// <item>an instance keeps its newest sighting; one tombstoned at or after its newest sighting is dropped with its
    /// entries (folded already), one seen after its tombstone stays live;</item>
    /// <item>on a conflict (a family name with two types, a histogram series with two sets of bounds) the first
    /// snapshot's side wins and the other side's values for it are dropped.</item>
    /// </list>
    /// </summary>
    public static AggregatorSnapshot Merge(IEnumerable<AggregatorSnapshot> snapshots)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        var merged = new AggregationState();
        foreach (var snapshot in snapshots)
        {
            ArgumentNullException.ThrowIfNull(snapshot);
            merged.MergeFrom(snapshot.State);
        }

        merged.Normalize();
        return new(merged);
    }

    /// <summary>A copy without retired bases: what a shard adds to a retirement round beyond its own base.</summary>
    public AggregatorSnapshot WithoutBases()
    {
        var copy = State.Clone();
        foreach (var metric in copy.Metrics.Values)
        {
            foreach (var series in metric.Series.Values)
            {
                series.ClearBase();
            }
        }

        return new(copy);
    }

    /// <inheritdoc cref="Merge(IEnumerable{AggregatorSnapshot})"/>
    public static AggregatorSnapshot Merge(params AggregatorSnapshot[] snapshots) => Merge((IEnumerable<AggregatorSnapshot>)snapshots);
}
