using Telemetry.Aggregation.Otlp;
using Xunit.Abstractions;
using static FunctionApp.Tests.Telemetry.Aggregation.AggregationTestData;

namespace FunctionApp.Tests.Telemetry.Aggregation;

/// <summary>Heap measurements: alone in their collection so other tests' allocations do not blur them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AggregatorMemoryCollection
{
    public const string Name = "Aggregator memory";
}

[Collection(AggregatorMemoryCollection.Name)]
public class MetricAggregatorMemoryTests(ITestOutputHelper output)
{
    private const int Instances = 100;
    private const int SeriesPerInstance = 100;
    private const int Entries = Instances * SeriesPerInstance;

    [Fact]
    public void Ingest_TenThousandCounterEntries_UnderOneKilobyteEach()
    {
        var perEntry = BytesPerEntry(static (i, r) => Counter("http.client.request.started.count", Point(T(0), T(1), r, Route($"/route/{r}"))));

        Assert.InRange(perEntry, 1, 1024);
    }

    [Fact]
    public void Ingest_TenThousandHistogramEntries_UnderOneKilobyteEach()
    {
        var perEntry = BytesPerEntry(static (i, r) => Histogram("http.server.duration", HistogramPoint(T(0), T(1), TimeBuckets, [0.1, 0.3, 2], Route($"/route/{r}"))));

        Assert.InRange(perEntry, 1, 1024);
    }

    /// <summary>Live heap growth (after full collections) divided by the (instance, series) entries tracked.</summary>
    private double BytesPerEntry(Func<int, int, OtlpMetric> metric)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var aggregator = Aggregator();
        for (var i = 0; i < Instances; i++)
        {
            var metrics = Enumerable.Range(0, SeriesPerInstance).Select(r => metric(i, r)).ToArray();
            Assert.Equal(SeriesPerInstance, aggregator.Ingest(Request($"{i:D8}-0000-0000-0000-000000000000", metrics)).Accepted);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.Equal(Entries, aggregator.CreateSnapshot().EntryCount);
        GC.KeepAlive(aggregator);
        var perEntry = (after - before) / (double)Entries;
        output.WriteLine($"{perEntry:F0} bytes per (instance, series) entry");
        return perEntry;
    }
}
