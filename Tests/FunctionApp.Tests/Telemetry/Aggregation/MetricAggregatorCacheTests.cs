using Telemetry.Aggregation;
using Telemetry.Aggregation.Otlp;
using Telemetry.Prometheus;
using static FunctionApp.Tests.Telemetry.Aggregation.AggregationTestData;

namespace FunctionApp.Tests.Telemetry.Aggregation;

/// <summary>
/// The aggregator's memo of attribute sets (<see cref="LabelSetCache"/>, plus the lookup by array identity in front
/// of it) and of metric descriptions: a changed set never gets another set's labels, the bounds hold, and what a
/// cache hit skips (truncation counts, rejections) is still counted on every push.
/// </summary>
public sealed class MetricAggregatorCacheTests
{
    [Fact]
    public void Ingest_SameArrayChangedInPlace_NeverGetsTheLabelsOfWhatItHeldBefore()
    {
        var aggregator = Aggregator();
        var attributes = Route("/a");

        aggregator.Ingest(Request("i", Counter("requests", Point(T(0), T(1), 1, attributes))));
        attributes[2] = A("http.route", "/b");
        aggregator.Ingest(Request("i", Counter("requests", Point(T(0), T(2), 5, attributes))));
        attributes[2] = A("http.route", "/a");
        aggregator.Ingest(Request("i", Counter("requests", Point(T(0), T(3), 2, attributes))));

        Assert.Equal(2, Value(aggregator, "requests_total", ("http_route", "/a")));
        Assert.Equal(5, Value(aggregator, "requests_total", ("http_route", "/b")));
    }

    [Fact]
    public void Ingest_EqualSetsInOtherArrays_ShareOneEntryAndOneSeries()
    {
        var aggregator = Aggregator();

        for (var i = 0; i < 5; i++)
        {
            aggregator.Ingest(Request($"i{i}", Counter("requests", Point(T(0), T(1), 1, Route("/a")))));
        }

        Assert.Equal(1, aggregator.LabelCache.Count);
        Assert.Equal(5, Value(aggregator, "requests_total", ("http_route", "/a")));
    }

    [Fact]
    public void Ingest_SameSetInAHistogramAndACounter_DropsLeOnlyForTheHistogram()
    {
        var aggregator = Aggregator();
        OtlpAttribute[] attributes = [A("le", "x"), A("route", "/a")];

        aggregator.Ingest(Request(
            "i",
            Counter("requests", Point(T(0), T(1), 1, attributes)),
            Histogram("latency", HistogramPoint(T(0), T(1), [1], [0.5], attributes))));

        Assert.Contains(new MetricLabel("le", "x"), Series(aggregator, "requests_total")!.Labels);
        Assert.DoesNotContain(Series(aggregator, "latency")!.Labels, static l => l.Name == "le");
    }

    [Fact]
    public void Ingest_SameSetInAnotherScope_GetsThatScopesLabels()
    {
        var aggregator = Aggregator();
        var attributes = Route("/a");
        var metric = Counter("requests", Point(T(0), T(1), 1, attributes));
        OtlpAttribute[] resource = [A("service.instance.id", "i")];

        aggregator.Ingest(new([new OtlpResourceMetrics(resource, [new OtlpScopeMetrics("one", "1", [metric]), new OtlpScopeMetrics("two", "", [metric])])]));

        Assert.Equal(1, Value(aggregator, "requests_total", ("otel_scope_name", "one"), ("otel_scope_version", "1")));
        Assert.Equal(1, Value(aggregator, "requests_total", ("otel_scope_name", "two"), ("otel_scope_version", "")));
    }

    [Fact]
    public void Ingest_CachedSets_StillCountTruncationsAndRejectionsOnEveryPush()
    {
        var options = new AggregatorOptions { MaxLabelsPerSeries = 2, MaxLabelValueLength = 3 };
        var aggregator = Aggregator(options: options);
        OtlpAttribute[] tooMany = [A("a", "1"), A("b", "2"), A("c", "3")];

        for (var push = 1; push <= 3; push++)
        {
            var result = aggregator.Ingest(Request(
                "i",
                Counter("requests", Point(T(0), T(push), push, A("route", "/long"))),
                Counter("other", Point(T(0), T(push), push, tooMany))));

            Assert.Equal(1, result.RejectedFor(IngestRejectReason.TooManyLabels));
        }

        Assert.Equal(3, Value(aggregator, "aggregator_label_values_truncated_total"));
        var series = Assert.Single(aggregator.Collect().Single(f => f.Name == "requests_total").Series);
        Assert.Matches("^/lo~[0-9a-f]{8}$", series.Labels.Single(l => l.Name == "route").Value);
        Assert.Equal(3, series.Value);
    }

    [Fact]
    public void LabelCache_Full_StartsOverAndStaysWithinItsCapacity()
    {
        var options = new AggregatorOptions { MaxSeries = 10 };
        var aggregator = Aggregator(options: options);
        var capacity = MetricAggregator.LabelCacheCapacity(options);

        for (var i = 0; i < capacity + 10; i++)
        {
            // Points of new series beyond MaxSeries are rejected, but their labels were prepared (and memoized).
            aggregator.Ingest(Request("i", Counter("requests", Point(T(0), T(1), 1, Route($"/r{i}")))));
            Assert.InRange(aggregator.LabelCache.Count, 1, capacity);
        }

        Assert.Equal(1, aggregator.LabelCache.Resets);

        // Series made before the reset still take their points.
        aggregator.Ingest(Request("i", Counter("requests", Point(T(0), T(2), 7, Route("/r0")))));
        Assert.Equal(7, Value(aggregator, "requests_total", ("http_route", "/r0")));
    }

    [Fact]
    public void LabelSetKey_ForAChangedList_DoesNotFindTheEntryOfWhatItHeld()
    {
        var cache = new LabelSetCache(16);
        var attributes = new List<OtlpAttribute> { A("route", "/a") };
        var key = LabelSetKey.For(attributes, "scope", "", histogram: false);
        cache.Add(new PreparedLabels([new("route", "/a")], "k", 0, key.Detach()));

        attributes[0] = A("route", "/b");

        Assert.False(cache.TryGet(LabelSetKey.For(attributes, "scope", "", histogram: false), out _));
        Assert.True(cache.TryGet(LabelSetKey.For([A("route", "/a")], "scope", "", histogram: false), out var found));
        Assert.Equal("k", found.Key);
        Assert.False(cache.TryGet(LabelSetKey.For([A("route", "/a")], "scope", "", histogram: true), out _));
        Assert.False(cache.TryGet(LabelSetKey.For([A("route", "/a")], "scope", "2", histogram: false), out _));
    }

    [Fact]
    public void Ingest_ManyMetricNames_DescriptionsStayCorrectPastTheirCacheCapacity()
    {
        var aggregator = Aggregator();
        var names = MetricAggregator.DescribedCacheCapacity + 50;
        for (var i = 0; i < names; i += 25)
        {
            aggregator.Ingest(Request("i", [.. Enumerable.Range(i, 25).Select(n => Sum($"m{n}", "s", monotonic: true, OtlpTemporality.Cumulative, Point(T(0), T(1), n)))]));
        }

        aggregator.Ingest(Request("i", Sum("m3", "ms", monotonic: true, OtlpTemporality.Cumulative, Point(T(0), T(1), 9))));

        Assert.Equal(3, Value(aggregator, "m3_seconds_total"));
        Assert.Equal(9, Value(aggregator, "m3_milliseconds_total"));
        Assert.Equal(names - 1, Value(aggregator, $"m{names - 1}_seconds_total"));
    }
}
