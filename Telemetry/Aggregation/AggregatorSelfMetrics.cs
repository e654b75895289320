using Telemetry.Prometheus;

namespace Telemetry.Aggregation;

/// <summary>
/// The aggregator's own counters (reference §0 rule 8), rendered with the aggregated families. Mutated only under
/// the aggregator's lock; they restart at zero with the process, which Prometheus reads as an ordinary reset.
/// </summary>
internal sealed class AggregatorSelfMetrics
{
    public const string Prefix = "aggregator_";

    private static readonly IngestRejectReason[] Reasons = Enum.GetValues<IngestRejectReason>();

    public long PointsAccepted { get; set; }

    public long Duplicates { get; set; }

    public long OutOfOrder { get; set; }

    public long[] Rejected { get; } = new long[Reasons.Length];

    public long CounterResets { get; set; }

    public long LabelValuesTruncated { get; set; }

    public long InstancesRetired { get; set; }

    public long InstancesResumed { get; set; }

    public double? LastPersistSeconds { get; set; }

    public double? LastPersistUnixSeconds { get; set; }

    public long PersistFailures { get; set; }

    public void AddTo(List<MetricFamily> families, AggregationState state)
    {
        families.Add(Counter("points_accepted_total", "Data points applied to the aggregate.", PointsAccepted));

        var dropped = new MetricFamily(Prefix + "points_dropped_total", MetricFamilyType.Counter, "Data points ignored because a point at least as new was already applied for the same instance and series.");
        dropped.Series.Add(MetricSeries.Sample([new("reason", "duplicate")], Duplicates));
        dropped.Series.Add(MetricSeries.Sample([new("reason", "out_of_order")], OutOfOrder));
        families.Add(dropped);

        var rejected = new MetricFamily(Prefix + "points_rejected_total", MetricFamilyType.Counter, "Data points rejected through OTLP partial_success, by reason.");
        foreach (var reason in Reasons)
        {
            rejected.Series.Add(MetricSeries.Sample([new("reason", IngestResult.ReasonLabel(reason))], Rejected[(int)reason]));
        }

        families.Add(rejected);
        families.Add(Counter("bucket_bounds_mismatches_total", "Histogram points rejected because their bounds differ from their series' bounds.", Rejected[(int)IngestRejectReason.HistogramBoundsMismatch]));
        families.Add(Counter("cumulative_resets_total", "New runs (lower value or later start time) of a cumulative series under the same instance id.", CounterResets));
        families.Add(Counter("label_values_truncated_total", "Label names or values (and scope names) shortened to the configured maximum length plus a hash.", LabelValuesTruncated));
        families.Add(Counter("instances_retired_total", "Instances folded into the retired base after a silence.", InstancesRetired));
        families.Add(Counter("instances_resumed_total", "Retired instance ids that pushed again.", InstancesResumed));
        families.Add(Gauge("series", "Series tracked over all families.", state.SeriesCount));
        families.Add(Gauge("entries", "Per-instance values tracked (one per instance and series).", state.EntryCount));
        families.Add(Gauge("instances", "Live instances (heard from and not retired).", state.Instances.Count));
        families.Add(Gauge("retired_instance_ids", "Retired instance ids remembered to resume them without double counting.", state.Tombstones.Count));
        families.Add(Counter("persist_failures_total", "Failed attempts to persist the state.", PersistFailures));
        if (LastPersistSeconds is { } duration)
        {
            families.Add(Gauge("last_persist_duration_seconds", "Duration of the last successful persist.", duration));
        }

        if (LastPersistUnixSeconds is { } at)
        {
            families.Add(Gauge("last_persist_timestamp_seconds", "Unix time of the last successful persist.", at));
        }
    }

    private static MetricFamily Counter(string name, string help, double value) => Single(name, MetricFamilyType.Counter, help, value);

    private static MetricFamily Gauge(string name, string help, double value) => Single(name, MetricFamilyType.Gauge, help, value);

    private static MetricFamily Single(string name, MetricFamilyType type, string help, double value)
    {
        var family = new MetricFamily(Prefix + name, type, help);
        family.Series.Add(MetricSeries.Sample([], value));
        return family;
    }
}
