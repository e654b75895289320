using Telemetry.Aggregation;
using static FunctionApp.Tests.Telemetry.Aggregation.AggregationTestData;

namespace FunctionApp.Tests.Telemetry.Aggregation;

public class MetricAggregatorRetirementTests
{
    [Fact]
    public void FoldRetiredInstances_SilentInstance_KeepsTotalsAndDropsItsGauges()
    {
        var clock = Clock();
        var aggregator = Aggregator(clock);
        foreach (var push in PushLog.Create(instances: 3, pushes: 4))
        {
            aggregator.Ingest(push);
        }

        clock.Advance(TimeSpan.FromMinutes(20));
        aggregator.Ingest(PushLog.Push(1, 5, 4));
        var before = Render(aggregator);

        var result = aggregator.FoldRetiredInstances(clock.GetUtcNow(), TimeSpan.FromMinutes(10));

        Assert.Equal(["instance-00", "instance-02"], result.InstanceIds);
        Assert.Equal(6, result.EntriesFolded);
        Assert.Equal(2, result.GaugeEntriesDropped);
        var after = Render(aggregator);
        Assert.Equal(Strip(before, "queue_depth"), Strip(after, "queue_depth"));
        Assert.Equal((5 % 7) + 1, Value(aggregator, "queue_depth"));
        Assert.Equal(1, Value(aggregator, "aggregator_instances"));
        Assert.Equal(2, Value(aggregator, "aggregator_instances_retired_total"));
        Assert.Equal(2, Value(aggregator, "aggregator_retired_instance_ids"));
    }

    [Fact]
    public void FoldRetiredInstances_AllInstancesRetired_CountersStayGaugesVanish()
    {
        var clock = Clock();
        var aggregator = Aggregator(clock);
        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(1), 4)), Gauge("inflight", Point(0, T(1), 3))));
        clock.Advance(TimeSpan.FromHours(1));

        var result = aggregator.FoldRetiredInstances();

        Assert.Equal(1, result.SeriesRemoved);
        Assert.Equal(4, Value(aggregator, "requests_total"));
        Assert.Null(Series(aggregator, "inflight"));
        Assert.DoesNotContain(aggregator.Collect(), f => f.Name == "target_info");
        Assert.Equal(0, Value(aggregator, "aggregator_entries"));
    }

    [Fact]
    public void FoldRetiredInstances_RecentlySeenInstance_Kept()
    {
        var clock = Clock();
        var aggregator = Aggregator(clock);
        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(1), 4))));
        clock.Advance(TimeSpan.FromMinutes(29));

        var result = aggregator.FoldRetiredInstances();

        Assert.Empty(result.InstanceIds);
        Assert.Equal(1, Value(aggregator, "aggregator_entries"));
    }

    [Fact]
    public void Ingest_RetiredInstanceResumes_CountsOnlyWhatItAddsAfterResuming()
    {
        var clock = Clock();
        var aggregator = Aggregator(clock);
        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(10), 10))));
        aggregator.Ingest(Request("b", Counter("requests", Point(T(0), T(10), 1))));
        clock.Advance(TimeSpan.FromHours(1));
        aggregator.FoldRetiredInstances();

        var stale = aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(5), 8))));
        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(20), 15))));
        Assert.Equal(11, Value(aggregator, "requests_total"));
        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(30), 21))));

        Assert.Equal(1, stale.OutOfOrder);
        Assert.Equal(17, Value(aggregator, "requests_total"));
        Assert.Equal(1, Value(aggregator, "aggregator_instances_resumed_total"));
        Assert.Equal(1, Value(aggregator, "aggregator_retired_instance_ids"));

        clock.Advance(TimeSpan.FromHours(1));
        aggregator.FoldRetiredInstances();
        Assert.Equal(17, Value(aggregator, "requests_total"));
    }

    [Fact]
    public void Ingest_RetiredIdWithANewRun_CountsTheNewRunWhole()
    {
        var clock = Clock();
        var aggregator = Aggregator(clock);
        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(10), 10))));
        clock.Advance(TimeSpan.FromHours(1));
        aggregator.FoldRetiredInstances();

        aggregator.Ingest(Request("a", Counter("requests", Point(T(100), T(110), 3))));

        Assert.Equal(13, Value(aggregator, "requests_total"));
    }

    [Fact]
    public void Ingest_RetiredInstanceResumesHistogram_NoDoubleCounting()
    {
        var clock = Clock();
        var aggregator = Aggregator(clock);
        aggregator.Ingest(Request("a", Histogram("latency", HistogramPoint(T(0), T(10), [1], [0.5, 2]))));
        clock.Advance(TimeSpan.FromHours(1));
        aggregator.FoldRetiredInstances();

        aggregator.Ingest(Request("a", Histogram("latency", HistogramPoint(T(0), T(20), [1], [0.5, 2, 0.5]))));
        aggregator.Ingest(Request("a", Histogram("latency", HistogramPoint(T(0), T(30), [1], [0.5, 2, 0.5, 0.5]))));

        var series = Series(aggregator, "latency")!;
        Assert.Equal(3UL, series.Count);
        Assert.Equal([new global::Telemetry.Prometheus.HistogramBucket(1, 2)], series.Buckets);
    }

    [Fact]
    public void FoldRetiredInstances_TombstonesOlderThanRetention_Pruned()
    {
        var clock = Clock();
        var aggregator = Aggregator(clock, new AggregatorOptions { TombstoneRetention = TimeSpan.FromHours(2) });
        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(10), 10))));
        clock.Advance(TimeSpan.FromHours(1));
        aggregator.FoldRetiredInstances();
        clock.Advance(TimeSpan.FromHours(3));

        var result = aggregator.FoldRetiredInstances();

        Assert.Equal(1, result.TombstonesPruned);
        Assert.Equal(0, Value(aggregator, "aggregator_retired_instance_ids"));
        Assert.Equal(10, Value(aggregator, "requests_total"));
    }

    private static string Strip(string exposition, string family) =>
        string.Join('\n', exposition.Split('\n').Where(l => !l.Contains(family, StringComparison.Ordinal)));
}
