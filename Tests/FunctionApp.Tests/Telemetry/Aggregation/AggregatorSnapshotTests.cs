using Telemetry.Aggregation;
using Telemetry.Aggregation.Otlp;
using static FunctionApp.Tests.Telemetry.Aggregation.AggregationTestData;

namespace FunctionApp.Tests.Telemetry.Aggregation;

public class AggregatorSnapshotTests
{
    [Fact]
    public void Snapshot_RoundTripThroughBytes_SameExpositionAndBytes()
    {
        var clock = Clock();
        var aggregator = RichAggregator(clock);
        var snapshot = aggregator.CreateSnapshot();

        var bytes = snapshot.ToBytes();
        var loaded = MetricAggregator.Load(new AggregatorOptions(), clock, AggregatorSnapshot.FromBytes(bytes));

        Assert.Equal(Render(aggregator), Render(loaded));
        Assert.Equal(bytes, loaded.CreateSnapshot().ToBytes());
        Assert.Equal((snapshot.SeriesCount, snapshot.EntryCount, snapshot.InstanceCount), (loaded.CreateSnapshot().SeriesCount, loaded.CreateSnapshot().EntryCount, loaded.CreateSnapshot().InstanceCount));
        Assert.Equal("AGGS"u8.ToArray(), bytes[..4]);
    }

    [Fact]
    public void Load_ThenIngest_ContinuesDeduplicatingAndResuming()
    {
        var clock = Clock();
        var aggregator = RichAggregator(clock);
        var loaded = MetricAggregator.Load(new AggregatorOptions(), clock, AggregatorSnapshot.FromBytes(aggregator.CreateSnapshot().ToBytes()));
        var expected = Render(aggregator);

        var repeat = loaded.Ingest(PushLog.Push(1, 4, 4));
        var resumedStale = loaded.Ingest(Request("retired", Counter("requests", Point(T(0), T(5), 1, A("http.route", "/a")))));

        Assert.Equal(4, repeat.Duplicates);
        Assert.Equal(1, resumedStale.OutOfOrder);
        Assert.Equal(expected, Render(loaded));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Merge_TwoShardsSplittingThePushLog_EqualsSingleCompanion(int seed)
    {
        var log = PushLog.Create(instances: 5, pushes: 10);
        var single = Aggregator();
        foreach (var push in log)
        {
            single.Ingest(push);
        }

        var random = new Random(seed);
        var shardA = Aggregator();
        var shardB = Aggregator();
        foreach (var push in MetricAggregatorOrderingTests.Shuffle(log, random))
        {
            var target = random.Next(3);
            if (target != 1)
            {
                shardA.Ingest(push);
            }

            if (target != 0)
            {
                shardB.Ingest(push);
            }
        }

        var a = AggregatorSnapshot.FromBytes(shardA.CreateSnapshot().ToBytes());
        var b = AggregatorSnapshot.FromBytes(shardB.CreateSnapshot().ToBytes());
        var merged = MetricAggregator.FromSnapshots(new AggregatorOptions(), Clock(), [a, b]);

        Assert.Equal(Render(single), Render(merged));
        Assert.Equal(AggregatorSnapshot.Merge(a, b).ToBytes(), AggregatorSnapshot.Merge(b, a).ToBytes());
    }

    [Fact]
    public void Merge_RetiredBasesOfShards_AreAdded()
    {
        var clock = Clock();
        var shardA = Aggregator(clock);
        var shardB = Aggregator(clock);
        shardA.Ingest(Request("a", Counter("requests", Point(T(0), T(1), 5))));
        shardB.Ingest(Request("b", Counter("requests", Point(T(0), T(1), 7))));
        shardB.Ingest(Request("c", Counter("requests", Point(T(0), T(1), 1))));
        clock.Advance(TimeSpan.FromHours(1));
        shardA.FoldRetiredInstances();
        shardB.Ingest(Request("c", Counter("requests", Point(T(0), T(2), 2))));
        shardB.FoldRetiredInstances();

        var merged = MetricAggregator.FromSnapshots(new AggregatorOptions(), clock, [shardA.CreateSnapshot(), shardB.CreateSnapshot()]);

        Assert.Equal(14, Value(merged, "requests_total"));
        Assert.Equal(1, Value(merged, "aggregator_instances"));
        Assert.Equal(2, Value(merged, "aggregator_retired_instance_ids"));
    }

    [Fact]
    public void Merge_InstanceTombstonedAfterItsLastSighting_DropsItsStaleEntries()
    {
        var clock = Clock();
        var merged = Aggregator(clock);
        var stale = Aggregator(clock);
        merged.Ingest(Request("a", Counter("requests", Point(T(0), T(1), 10))));
        stale.Ingest(Request("a", Counter("requests", Point(T(0), T(1), 10))));
        clock.Advance(TimeSpan.FromHours(1));
        merged.FoldRetiredInstances();

        var result = MetricAggregator.FromSnapshots(new AggregatorOptions(), clock, [merged.CreateSnapshot(), stale.CreateSnapshot()]);

        Assert.Equal(10, Value(result, "requests_total"));
        Assert.Equal(0, Value(result, "aggregator_instances"));
    }

    [Fact]
    public void Merge_InstanceSeenAfterItsTombstone_StaysLive()
    {
        var clock = Clock();
        var leader = Aggregator(clock);
        var other = Aggregator(clock);
        leader.Ingest(Request("a", Counter("requests", Point(T(0), T(1), 10))));
        clock.Advance(TimeSpan.FromHours(1));
        leader.FoldRetiredInstances();
        clock.Advance(TimeSpan.FromMinutes(1));
        other.Ingest(Request("a", Counter("requests", Point(T(0), T(5), 12))));

        var result = MetricAggregator.FromSnapshots(new AggregatorOptions(), clock, [leader.CreateSnapshot(), other.CreateSnapshot()]);

        Assert.Equal(1, Value(result, "aggregator_instances"));
        Assert.Equal(0, Value(result, "aggregator_retired_instance_ids"));
        Assert.Equal(1, Value(result, "aggregator_entries"));
    }

    [Fact]
    public void Merge_SameLineageResumedInstance_CountsItOnce()
    {
        var clock = Clock();
        var shard = Aggregator(clock);
        shard.Ingest(Request("a", Counter("requests", Point(T(0), T(1), 10))));
        clock.Advance(TimeSpan.FromHours(1));
        shard.FoldRetiredInstances();
        clock.Advance(TimeSpan.FromMinutes(1));
        shard.Ingest(Request("a", Counter("requests", Point(T(0), T(5), 12))));
        shard.Ingest(Request("a", Counter("requests", Point(T(0), T(6), 13))));

        var result = MetricAggregator.FromSnapshots(new AggregatorOptions(), clock, [AggregatorSnapshot.Empty, shard.CreateSnapshot()]);

        Assert.Equal(11, Value(result, "requests_total"));
        Assert.Equal(0, Value(result, "aggregator_retired_instance_ids"));
    }

    [Fact]
    public void Merge_HistogramSeriesWithOtherBounds_FirstSnapshotWins()
    {
        var shardA = Aggregator();
        var shardB = Aggregator();
        shardA.Ingest(Request("a", Histogram("latency", HistogramPoint(T(0), T(1), [1], [0.5]))));
        shardB.Ingest(Request("b", Histogram("latency", HistogramPoint(T(0), T(1), [2], [0.5, 1.5]))));

        var merged = MetricAggregator.FromSnapshots(new AggregatorOptions(), Clock(), [shardA.CreateSnapshot(), shardB.CreateSnapshot()]);

        var series = Series(merged, "latency")!;
        Assert.Equal(1UL, series.Count);
        Assert.Equal(1, series.Buckets.Single().UpperBound);
    }

    [Fact]
    public void Merge_FamilyWithTwoTypes_FirstSnapshotWins()
    {
        var shardA = Aggregator();
        var shardB = Aggregator();
        shardA.Ingest(Request("a", Counter("requests", Point(T(0), T(1), 3))));
        shardB.Ingest(Request("b", Gauge("requests_total", Point(0, T(1), 9))));

        var merged = MetricAggregator.FromSnapshots(new AggregatorOptions(), Clock(), [shardA.CreateSnapshot(), shardB.CreateSnapshot()]);

        Assert.Equal(3, Value(merged, "requests_total"));
    }

    [Fact]
    public void FromBytes_EveryTruncation_ThrowsInvalidData()
    {
        var bytes = RichAggregator(Clock()).CreateSnapshot().ToBytes();

        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<InvalidDataException>(() => AggregatorSnapshot.FromBytes(bytes.AsSpan(0, length)));
        }
    }

    [Fact]
    public void FromBytes_FlippedBytes_EitherLoadsOrThrowsInvalidData()
    {
        var bytes = RichAggregator(Clock()).CreateSnapshot().ToBytes();
        var random = new Random(42);

        for (var i = 0; i < 2000; i++)
        {
            var corrupt = (byte[])bytes.Clone();
            corrupt[random.Next(corrupt.Length)] ^= (byte)(1 << random.Next(8));
            try
            {
                MetricAggregator.Load(new AggregatorOptions(), Clock(), AggregatorSnapshot.FromBytes(corrupt)).Collect();
            }
            catch (InvalidDataException)
            {
            }
        }
    }

    [Fact]
    public void FromBytes_OtherVersionOrMagic_ThrowsInvalidData()
    {
        var bytes = AggregatorSnapshot.Empty.ToBytes();
        var otherVersion = (byte[])bytes.Clone();
        otherVersion[4] = 2;
        var otherMagic = (byte[])bytes.Clone();
        otherMagic[0] = (byte)'X';

        Assert.Contains("version 2", Assert.Throws<InvalidDataException>(() => AggregatorSnapshot.FromBytes(otherVersion)).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => AggregatorSnapshot.FromBytes(otherMagic));
        Assert.Equal(1, AggregatorSnapshot.FormatVersion);
    }

    [Fact]
    public void ToBytes_TenThousandCounterEntries_UnderFortyEightBytesEach()
    {
        var aggregator = Aggregator();
        for (var i = 0; i < 100; i++)
        {
            var points = Enumerable.Range(0, 100).Select(r => Point(T(0), T(1), r, Route($"/route/{r}"))).ToArray();
            aggregator.Ingest(Request($"instance-{i:D3}-0000-0000-0000-000000000000", Counter("requests", points)));
        }

        var snapshot = aggregator.CreateSnapshot();

        Assert.Equal(10_000, snapshot.EntryCount);
        Assert.InRange(snapshot.ToBytes().Length / 10_000.0, 1, 48);
    }

    /// <summary>Runs (a restart), histograms, gauges, deltas, a retired base, a resumed instance and a tombstone.</summary>
    private static MetricAggregator RichAggregator(Microsoft.Extensions.Time.Testing.FakeTimeProvider clock)
    {
        var aggregator = Aggregator(clock);
        aggregator.Ingest(Request("retired", Counter("requests", Point(T(0), T(10), 4, A("http.route", "/a")))));
        aggregator.Ingest(Request("resumed", Counter("requests", Point(T(0), T(10), 6, A("http.route", "/a")))));
        clock.Advance(TimeSpan.FromHours(1));
        aggregator.FoldRetiredInstances();
        aggregator.Ingest(Request("resumed", Counter("requests", Point(T(0), T(20), 9, A("http.route", "/a")))));
        foreach (var push in PushLog.Create(instances: 3, pushes: 4))
        {
            aggregator.Ingest(push);
        }

        aggregator.Ingest(Request("delta", DeltaCounter("requests", Point(T(0), T(1), 2, A("http.route", "/a"))), Sum("inflight", "", false, OtlpTemporality.Delta, Point(T(0), T(1), 3))));
        return aggregator;
    }
}
