namespace Telemetry.Aggregation;

/// <summary>What one <see cref="MetricAggregator.FoldRetiredInstances(DateTimeOffset, TimeSpan)"/> did.</summary>
/// <param name="InstanceIds">The instances retired, in ordinal order.</param>
/// <param name="EntriesFolded">Counter and histogram entries folded into their series' retired base.</param>
/// <param name="GaugeEntriesDropped">Gauge entries of the retired instances, dropped.</param>
/// <param name="SeriesRemoved">Series left with neither a live entry nor a retired base (gauges only), removed.</param>
/// <param name="TombstonesPruned">Retired ids forgotten after <see cref="AggregatorOptions.TombstoneRetention"/>.</param>
public sealed record RetirementResult(
    IReadOnlyList<string> InstanceIds,
    int EntriesFolded,
    int GaugeEntriesDropped,
    int SeriesRemoved,
    int TombstonesPruned);
