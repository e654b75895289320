using Telemetry.Aggregation;
using Telemetry.Aggregation.Otlp;

namespace Bench.Companion;

/// <summary>
/// Retained memory of an aggregator per (instance, series) entry, by kind: <see cref="GC.GetTotalMemory(bool)"/>
/// (forced full collections) before it is created and after it is filled, the requests dropped in between. Two
/// fills per kind: one instance (every entry pays for its series too: labels, key, bounds, dictionaries) and
/// <c>instances</c> instances; their difference divided by the extra entries is the cost of one more instance
/// reporting an existing series. Also the binary snapshot (<see cref="AggregatorSnapshot.ToBytes"/>) per entry.
/// </summary>
internal static class MemoryBench
{
    public sealed record Result(
        string Kind,
        int Series,
        int Instances,
        int Entries,
        double BytesPerEntry,
        double BytesPerEntryOneInstance,
        double MarginalBytesPerEntry,
        double SnapshotBytesPerEntry);

    public static Result Run(Workload workload, string kind, Func<OtlpMetric, bool> include, int instances, int variants, int repetitions)
    {
        var options = new AggregatorOptions { MaxSeries = 1_000_000, MaxSeriesPerMetric = 1_000_000 };
        var ones = new List<double>();
        var alls = new List<double>();
        int series = 0, seriesAll = 0, entries = 0, snapshotBytes = 0;
        for (var i = 0; i < repetitions; i++)
        {
            // Medians: a pooled buffer trimmed or a finalizer run between two readings moves one of them.
            (var oneBytes, series, _, _) = Retained(workload, options, include, 1, variants);
            (var allBytes, seriesAll, entries, snapshotBytes) = Retained(workload, options, include, instances, variants);
            ones.Add(oneBytes);
            alls.Add(allBytes);
        }

        var one = Stats.Median(ones);
        var all = Stats.Median(alls);
        if (seriesAll != series)
        {
            throw new InvalidOperationException($"{kind}: {series} series with one instance, {seriesAll} with {instances}");
        }

        return new Result(
            kind,
            series,
            instances,
            entries,
            all / entries,
            one / series,
            (all - one) / (entries - series),
            snapshotBytes / (double)entries);
    }

    private static (long Bytes, int Series, int Entries, int SnapshotBytes) Retained(Workload workload, AggregatorOptions options, Func<OtlpMetric, bool> include, int instances, int variants)
    {
        Stats.Settle();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var aggregator = new MetricAggregator(options, TimeProvider.System);
        workload.Fill(aggregator, instances, variants, include);
        Stats.Settle();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var state = aggregator.CreateSnapshot();
        GC.KeepAlive(aggregator);
        return (after - before, state.SeriesCount, state.EntryCount, state.ToBytes().Length);
    }
}
