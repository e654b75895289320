using System.Text;
using FunctionApp.Tests.Telemetry.Prometheus;
using Telemetry.Aggregation;
using Telemetry.Aggregation.Otlp;
using Telemetry.Prometheus;
using static FunctionApp.Tests.Telemetry.Aggregation.AggregationTestData;

namespace FunctionApp.Tests.Telemetry.Aggregation;

public class MetricAggregatorTests
{
    [Fact]
    public void Ingest_CumulativeCountersFromManyInstances_SumsExactly()
    {
        var aggregator = Aggregator();
        for (var i = 0; i < 25; i++)
        {
            var result = aggregator.Ingest(Request($"i{i}", Counter("http.client.request.started.count", Point(T(0), T(10), i * 3, Route("/users/:id")))));
            Assert.Equal(1, result.Accepted);
            Assert.Null(result.ErrorMessage);
        }

        Assert.Equal(900, Value(aggregator, "http_client_request_started_count_total"));
    }

    [Fact]
    public async Task Ingest_ConcurrentPushesFromManyInstances_TotalsExactAndNeverDecrease()
    {
        const int Instances = 8;
        const int Pushes = 400;
        var aggregator = Aggregator();
        var done = 0;
        var observed = new List<double>();
        var collector = Task.Run(() =>
        {
            while (Volatile.Read(ref done) == 0)
            {
                observed.Add(Value(aggregator, "requests_total"));
            }
        });

        Parallel.For(0, Instances, new ParallelOptions { MaxDegreeOfParallelism = Instances }, i =>
        {
            for (var p = 1; p <= Pushes; p++)
            {
                aggregator.Ingest(Request(
                    $"instance-{i}",
                    Counter("requests", Point(T(0), T(p), p * 0.5)),
                    Histogram("latency", HistogramPoint(T(0), T(p), [1, 2], Enumerable.Repeat(1.5, p).ToArray()))));
            }
        });
        Volatile.Write(ref done, 1);
        await collector;

        Assert.Equal(Instances * Pushes * 0.5, Value(aggregator, "requests_total"));
        var histogram = Series(aggregator, "latency")!;
        Assert.Equal((ulong)(Instances * Pushes), histogram.Count);
        Assert.Equal(Instances * Pushes * 1.5, histogram.Value);
        var seen = observed.Where(static v => !double.IsNaN(v)).ToList();
        Assert.All(seen.Zip(seen.Skip(1)), pair => Assert.True(pair.Second >= pair.First, $"{pair.Second} < {pair.First}"));
    }

    [Fact]
    public void Ingest_SamePushTwice_SecondIsDuplicate()
    {
        var aggregator = Aggregator();
        var push = Request("a", Counter("requests", Point(T(0), T(5), 7)));

        aggregator.Ingest(push);
        var again = aggregator.Ingest(push);

        Assert.Equal((0, 1, 0, 0), (again.Accepted, again.Duplicates, again.OutOfOrder, again.Rejected));
        Assert.Equal(7, Value(aggregator, "requests_total"));
    }

    [Fact]
    public void Ingest_OlderPushAfterNewer_Ignored()
    {
        var aggregator = Aggregator();
        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(20), 9)), Gauge("inflight", Point(0, T(20), 2))));

        var late = aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(10), 4)), Gauge("inflight", Point(0, T(10), 5))));

        Assert.Equal(2, late.OutOfOrder);
        Assert.Equal(9, Value(aggregator, "requests_total"));
        Assert.Equal(2, Value(aggregator, "inflight"));
    }

    [Fact]
    public void Ingest_HistogramsFromTwoInstances_AddsBucketsSumAndCount()
    {
        var aggregator = Aggregator();
        aggregator.Ingest(Request("a", Histogram("latency", HistogramPoint(T(0), T(1), [0.1, 1], [0.05, 0.5]))));
        aggregator.Ingest(Request("b", Histogram("latency", HistogramPoint(T(0), T(1), [0.1, 1], [0.5, 5, 7]))));

        var series = Series(aggregator, "latency")!;

        Assert.Equal([new HistogramBucket(0.1, 1), new HistogramBucket(1, 3)], series.Buckets);
        Assert.Equal(5UL, series.Count);
        Assert.Equal(13.05, series.Value, 10);
    }

    [Fact]
    public void Ingest_HistogramWithOtherBounds_RejectedAndCounted()
    {
        var aggregator = Aggregator();
        aggregator.Ingest(Request("a", Histogram("latency", HistogramPoint(T(0), T(1), [0.1, 1], [0.05]))));

        var result = aggregator.Ingest(Request("b", Histogram("latency", HistogramPoint(T(0), T(1), [0.1, 0.5, 1], [0.3]))));
        var sameInstance = aggregator.Ingest(Request("a", Histogram("latency", HistogramPoint(T(0), T(2), [0.2, 1], [0.05, 0.15]))));

        Assert.Equal(1, result.RejectedFor(IngestRejectReason.HistogramBoundsMismatch));
        Assert.Equal(1, sameInstance.Rejected);
        Assert.Contains("bucket bounds", result.ErrorMessage, StringComparison.Ordinal);
        var series = Series(aggregator, "latency")!;
        Assert.Equal([new HistogramBucket(0.1, 1), new HistogramBucket(1, 1)], series.Buckets);
        Assert.Equal(2, Value(aggregator, "aggregator_bucket_bounds_mismatches_total"));
        Assert.Equal(2, Value(aggregator, "aggregator_points_rejected_total", ("reason", "histogram_bounds_mismatch")));
    }

    [Fact]
    public void Ingest_MalformedHistogram_RejectedAsInvalid()
    {
        var aggregator = Aggregator();
        OtlpHistogramPoint[] malformed =
        [
            new([], T(0), T(1), 2, 1, [1, 0.5], [1, 1, 0]),
            new([], T(0), T(1), 2, 1, [0.5, 1], [1, 1]),
            new([], T(0), T(1), 3, 1, [0.5, 1], [1, 1, 0]),
            new([], T(0), T(1), 1, 1, [double.NaN], [1, 0]),
        ];

        var result = aggregator.Ingest(Request("a", Histogram("latency", malformed)));

        Assert.Equal(4, result.RejectedFor(IngestRejectReason.InvalidPoint));
        Assert.Null(Series(aggregator, "latency"));
    }

    [Theory]
    [InlineData(GaugeAggregation.Sum, 12)]
    [InlineData(GaugeAggregation.Max, 7)]
    [InlineData(GaugeAggregation.Min, 1)]
    [InlineData(GaugeAggregation.Latest, 4)]
    public void Collect_GaugePolicy_CombinesLiveInstances(GaugeAggregation policy, double expected)
    {
        var options = new AggregatorOptions { GaugeAggregations = new Dictionary<string, GaugeAggregation> { ["inflight"] = policy } };
        var aggregator = Aggregator(options: options);
        aggregator.Ingest(Request("a", Gauge("inflight", Point(0, T(3), 7))));
        aggregator.Ingest(Request("b", Gauge("inflight", Point(0, T(9), 4))));
        aggregator.Ingest(Request("c", Gauge("inflight", Point(0, T(5), 1))));

        Assert.Equal(expected, Value(aggregator, "inflight"));
    }

    [Fact]
    public void Collect_DefaultGaugePolicy_AppliesToUnlistedFamilies()
    {
        var aggregator = Aggregator(options: new AggregatorOptions { DefaultGaugeAggregation = GaugeAggregation.Max });
        aggregator.Ingest(Request("a", Gauge("open.connections", Point(0, T(3), 7))));
        aggregator.Ingest(Request("b", Gauge("open.connections", Point(0, T(3), 4))));

        Assert.Equal(7, Value(aggregator, "open_connections"));
    }

    [Fact]
    public void Ingest_CumulativeNonMonotonicSum_IsGaugeOfLastValues()
    {
        var aggregator = Aggregator();
        aggregator.Ingest(Request("a", Sum("inflight", "{request}", monotonic: false, OtlpTemporality.Cumulative, Point(T(0), T(1), 5))));
        aggregator.Ingest(Request("a", Sum("inflight", "{request}", monotonic: false, OtlpTemporality.Cumulative, Point(T(0), T(2), 2))));
        aggregator.Ingest(Request("b", Sum("inflight", "{request}", monotonic: false, OtlpTemporality.Cumulative, Point(T(0), T(2), 3))));

        var family = aggregator.Collect().Single(f => f.Name == "inflight");

        Assert.Equal(MetricFamilyType.Gauge, family.Type);
        Assert.Equal(5, family.Series.Single().Value);
        Assert.Equal(0, Value(aggregator, "aggregator_cumulative_resets_total"));
    }

    [Fact]
    public void Ingest_DeltaCounter_AddsOnlyPointsNewerThanTheLastApplied()
    {
        var aggregator = Aggregator();
        aggregator.Ingest(Request("a", DeltaCounter("requests", Point(T(0), T(1), 3))));
        aggregator.Ingest(Request("a", DeltaCounter("requests", Point(T(1), T(2), 4))));
        var retried = aggregator.Ingest(Request("a", DeltaCounter("requests", Point(T(1), T(2), 4))));
        var late = aggregator.Ingest(Request("a", DeltaCounter("requests", Point(T(0), T(1) + 5, 100))));
        aggregator.Ingest(Request("b", DeltaCounter("requests", Point(T(0), T(1), 10))));

        Assert.Equal(1, retried.Duplicates);
        Assert.Equal(1, late.OutOfOrder);
        Assert.Equal(17, Value(aggregator, "requests_total"));
    }

    [Fact]
    public void Ingest_DeltaHistogram_AddsBuckets()
    {
        var aggregator = Aggregator();
        aggregator.Ingest(Request("a", Histogram("latency", "s", OtlpTemporality.Delta, HistogramPoint(T(0), T(1), [1], [0.5]))));
        aggregator.Ingest(Request("a", Histogram("latency", "s", OtlpTemporality.Delta, HistogramPoint(T(1), T(2), [1], [0.5, 2]))));
        aggregator.Ingest(Request("a", Histogram("latency", "s", OtlpTemporality.Delta, HistogramPoint(T(1), T(2), [1], [0.5, 2]))));

        var series = Series(aggregator, "latency_seconds")!;

        Assert.Equal([new HistogramBucket(1, 2)], series.Buckets);
        Assert.Equal(3UL, series.Count);
    }

    [Fact]
    public void Ingest_CounterResetWithLaterStart_KeepsOldRunAndAddsNewOne()
    {
        var aggregator = Aggregator();
        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(1), 5))));
        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(2), 10))));

        aggregator.Ingest(Request("a", Counter("requests", Point(T(50), T(51), 3))));
        Assert.Equal(13, Value(aggregator, "requests_total"));
        aggregator.Ingest(Request("a", Counter("requests", Point(T(50), T(52), 7))));

        Assert.Equal(17, Value(aggregator, "requests_total"));
        Assert.Equal(1, Value(aggregator, "aggregator_cumulative_resets_total"));
    }

    [Fact]
    public void Ingest_CounterDecreaseWithSameStart_FoldsOldRunIntoBase()
    {
        var aggregator = Aggregator();
        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(1), 10))));

        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(2), 4))));
        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(3), 6))));

        Assert.Equal(16, Value(aggregator, "requests_total"));
        Assert.Equal(1, Value(aggregator, "aggregator_cumulative_resets_total"));
    }

    [Fact]
    public void Ingest_LatePointOfEarlierRun_LandsInThatRun()
    {
        var aggregator = Aggregator();
        aggregator.Ingest(Request("a", Counter("requests", Point(T(50), T(51), 3))));

        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(40), 10))));
        var older = aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(30), 8))));

        Assert.Equal(1, older.OutOfOrder);
        Assert.Equal(13, Value(aggregator, "requests_total"));
    }

    [Fact]
    public void Ingest_HistogramResetWithLaterStart_KeepsBothRuns()
    {
        var aggregator = Aggregator();
        aggregator.Ingest(Request("a", Histogram("latency", HistogramPoint(T(0), T(1), [1], [0.5, 0.5, 3]))));

        aggregator.Ingest(Request("a", Histogram("latency", HistogramPoint(T(9), T(10), [1], [2]))));

        var series = Series(aggregator, "latency")!;
        Assert.Equal(4UL, series.Count);
        Assert.Equal([new HistogramBucket(1, 2)], series.Buckets);
    }

    [Fact]
    public void Ingest_ExponentialHistogramAndSummary_RejectedForPartialSuccess()
    {
        var aggregator = Aggregator();
        var request = Request(
            "a",
            new OtlpMetric("exp", "", "", OtlpMetricKind.ExponentialHistogram, false, OtlpTemporality.Cumulative, [], [], UnsupportedPointCount: 2),
            new OtlpMetric("summary", "", "", OtlpMetricKind.Summary, false, OtlpTemporality.Unspecified, [], [], UnsupportedPointCount: 3),
            Counter("requests", Point(T(0), T(1), 1)));

        var result = aggregator.Ingest(request);

        Assert.Equal((1, 5), (result.Accepted, result.Rejected));
        Assert.Equal(2, result.RejectedFor(IngestRejectReason.ExponentialHistogram));
        Assert.Equal(3, result.RejectedFor(IngestRejectReason.Summary));
        Assert.Equal("5 data point(s) rejected: 2 exponential histogram (not representable in Prometheus text format); 3 summary (quantiles cannot be merged across instances)", result.ErrorMessage);
        Assert.DoesNotContain(aggregator.Collect(), f => f.Name is "exp" or "summary");
    }

    [Fact]
    public void Ingest_ResourceWithoutInstanceId_Rejected()
    {
        var aggregator = Aggregator();

        var result = aggregator.Ingest(Request([A("service.name", "krakend")], Counter("requests", Point(T(0), T(1), 1), Point(T(0), T(1), 2, A("k", "v")))));

        Assert.Equal(2, result.RejectedFor(IngestRejectReason.MissingInstanceId));
        Assert.Null(Series(aggregator, "requests_total"));
        Assert.Equal(0, Value(aggregator, "aggregator_instances"));
    }

    [Fact]
    public void Ingest_UnspecifiedTemporality_Rejected()
    {
        var aggregator = Aggregator();

        var result = aggregator.Ingest(Request("a", Sum("requests", "", monotonic: true, OtlpTemporality.Unspecified, Point(T(0), T(1), 1))));

        Assert.Equal(1, result.RejectedFor(IngestRejectReason.UnspecifiedTemporality));
    }

    [Fact]
    public void Ingest_NegativeOrNonFiniteCounter_RejectedAsInvalid()
    {
        var aggregator = Aggregator();

        var result = aggregator.Ingest(Request(
            "a",
            Counter("requests", Point(T(0), T(1), -1, A("k", "1")), Point(T(0), T(1), double.NaN, A("k", "2")), Point(T(0), T(1), double.PositiveInfinity, A("k", "3"))),
            DeltaCounter("bytes", Point(T(0), T(1), -5))));

        Assert.Equal(4, result.RejectedFor(IngestRejectReason.InvalidPoint));
    }

    [Fact]
    public void Ingest_SameNameWithAnotherType_RejectedAsTypeConflict()
    {
        var aggregator = Aggregator();
        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(1), 1))));

        var result = aggregator.Ingest(Request("a", Gauge("requests_total", Point(0, T(1), 5))));

        Assert.Equal(1, result.RejectedFor(IngestRejectReason.TypeConflict));
        Assert.Equal(MetricFamilyType.Counter, aggregator.Collect().Single(f => f.Name == "requests_total").Type);
    }

    [Fact]
    public void Ingest_OverGlobalSeriesCap_RejectsOnlyNewSeries()
    {
        var aggregator = Aggregator(options: new AggregatorOptions { MaxSeries = 2 });
        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(1), 1, A("k", "1")), Point(T(0), T(1), 1, A("k", "2")))));

        var result = aggregator.Ingest(Request("b", Counter("requests", Point(T(0), T(1), 5, A("k", "1")), Point(T(0), T(1), 1, A("k", "3"))), Gauge("other", Point(0, T(1), 1))));

        Assert.Equal((1, 2), (result.Accepted, result.RejectedFor(IngestRejectReason.SeriesLimit)));
        Assert.Equal(6, Value(aggregator, "requests_total", ("k", "1")));
        Assert.Equal(2, Value(aggregator, "aggregator_series"));
        Assert.Equal(2, Value(aggregator, "aggregator_points_rejected_total", ("reason", "series_limit")));
    }

    [Fact]
    public void Ingest_OverPerMetricSeriesCap_RejectsNewSeriesOfThatMetricOnly()
    {
        var aggregator = Aggregator(options: new AggregatorOptions { MaxSeriesPerMetric = 1 });

        var result = aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(1), 1, A("k", "1")), Point(T(0), T(1), 1, A("k", "2"))), Counter("errors", Point(T(0), T(1), 1))));

        Assert.Equal((2, 1), (result.Accepted, result.RejectedFor(IngestRejectReason.MetricSeriesLimit)));
        Assert.Contains("metric's series limit", result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Ingest_TooManyAttributes_Rejected()
    {
        var aggregator = Aggregator(options: new AggregatorOptions { MaxLabelsPerSeries = 2 });

        var result = aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(1), 1, A("a", "1"), A("b", "2")), Point(T(0), T(1), 1, A("a", "1"), A("b", "2"), A("c", "3")))));

        Assert.Equal((1, 1), (result.Accepted, result.RejectedFor(IngestRejectReason.TooManyLabels)));
    }

    [Fact]
    public void Ingest_LongLabelValue_ShortenedWithAHash_WithoutSplittingSurrogates()
    {
        var aggregator = Aggregator(options: new AggregatorOptions { MaxLabelValueLength = 4 });

        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(1), 1, A("path", "/abcdef")))));
        aggregator.Ingest(Request("b", Counter("requests", Point(T(0), T(1), 4, A("path", "/abcxyz")))));
        aggregator.Ingest(Request("c", Counter("requests", Point(T(0), T(1), 2, A("path", "/ab😀")))));

        var paths = aggregator.Collect().Single(f => f.Name == "requests_total").Series
            .ToDictionary(s => s.Labels.Single(l => l.Name == "path").Value, s => s.Value);
        Assert.Equal(3, paths.Count);
        Assert.All(paths.Keys, p => Assert.Matches("^/ab(c)?~[0-9a-f]{8}$", p));
        Assert.Equal(7, paths.Values.Sum());
        Assert.Equal(2, paths.Single(p => p.Key.StartsWith("/ab~", StringComparison.Ordinal)).Value);
        Assert.Equal(3, Value(aggregator, "aggregator_label_values_truncated_total"));
    }

    [Fact]
    public void Ingest_LongValuesSharingTheirBeginning_OfOneInstance_StayExact()
    {
        var aggregator = Aggregator();
        var prefix = new string('y', 300);

        for (var push = 0; push < 3; push++)
        {
            aggregator.Ingest(Request("a", Counter(
                "requests",
                Point(T(0), T(push + 1), 5 + push, A("path", prefix + "a")),
                Point(T(0), T(push + 1), 7 + push, A("path", prefix + "b")))));
        }

        Assert.Equal(2, aggregator.Collect().Single(f => f.Name == "requests_total").Series.Count);
        Assert.Equal(16, aggregator.Collect().Single(f => f.Name == "requests_total").Series.Sum(s => s.Value));
        Assert.Equal(0, Value(aggregator, "aggregator_points_dropped_total", ("reason", "duplicate")));
    }

    [Fact]
    public void Ingest_HugeNamesKeysAndScope_AreBounded()
    {
        var aggregator = Aggregator();
        var huge = new string('n', 100_000);

        aggregator.Ingest(new OtlpMetricsRequest([new OtlpResourceMetrics(
            [A("service.instance.id", "a")],
            [new OtlpScopeMetrics(huge, huge, [Counter(huge, Point(T(0), T(1), 3, A(huge, huge)))])])]));

        var text = Render(aggregator);
        Assert.All(text.Split('\n'), line => Assert.True(line.Length < 4_000, $"a line of {line.Length} characters: {line[..Math.Min(line.Length, 60)]}"));
        Assert.Equal(3, aggregator.Collect().Single(f => f.Name.EndsWith("_total", StringComparison.Ordinal) && f.Name.StartsWith("nnn", StringComparison.Ordinal)).Series.Single().Value);
    }

    [Fact]
    public void Ingest_AttributesNamedLikeScopeLabelsOrLe_Dropped()
    {
        var aggregator = Aggregator();

        aggregator.Ingest(Request("a", Histogram("latency", HistogramPoint(T(0), T(1), [1], [0.5], A("le", "x"), A("otel.scope.name", "spoof"), A("k", "v")))));

        var series = Series(aggregator, "latency")!;
        Assert.Equal(
            [new MetricLabel("k", "v"), new MetricLabel("otel_scope_name", KrakenDScope), new MetricLabel("otel_scope_version", "")],
            series.Labels);
    }

    [Fact]
    public void Collect_KrakenDLegacyServerHistogram_RendersKrakenDExposition()
    {
        var aggregator = Aggregator();
        aggregator.Ingest(Request("a", Histogram("http.server.duration", HistogramPoint(T(0), T(1), TimeBuckets, [0.25], Route("/users/:id")))));
        aggregator.Ingest(Request("b", Histogram("http.server.duration", HistogramPoint(T(0), T(1), TimeBuckets, [2], Route("/users/:id")))));

        var text = Render(aggregator);

        var labels = $"http_request_method=\"GET\",http_response_status_code=\"200\",http_route=\"/users/:id\",otel_scope_name=\"{KrakenDScope}\",otel_scope_version=\"\",url_scheme=\"http\"";
        var expected = new StringBuilder()
            .Append("# HELP http_server_duration \n")
            .Append("# TYPE http_server_duration histogram\n");
        string[] bounds = ["0.01", "0.02", "0.05", "0.075", "0.1", "0.125", "0.15", "0.175", "0.2", "0.25", "0.3", "0.35", "0.5", "0.75", "1", "1.5", "2", "3.5", "5", "10"];
        int[] counts = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2];
        for (var i = 0; i < bounds.Length; i++)
        {
            expected.Append($"http_server_duration_bucket{{{labels},le=\"{bounds[i]}\"}} {counts[i]}\n");
        }

        expected
            .Append($"http_server_duration_bucket{{{labels},le=\"+Inf\"}} 2\n")
            .Append($"http_server_duration_sum{{{labels}}} 2.25\n")
            .Append($"http_server_duration_count{{{labels}}} 2\n")
            .Append("# HELP otel_scope_info Instrumentation Scope metadata\n")
            .Append("# TYPE otel_scope_info gauge\n")
            .Append($"otel_scope_info{{otel_scope_name=\"{KrakenDScope}\",otel_scope_version=\"\"}} 1\n")
            .Append("# HELP target_info Target metadata\n")
            .Append("# TYPE target_info gauge\n")
            .Append("target_info{service_name=\"krakend\",service_version=\"2.10.0\"} 1\n");
        Assert.Equal(expected.ToString(), text);
    }

    [Fact]
    public void Collect_KrakenDInstruments_UseKrakenDPrometheusNames()
    {
        var aggregator = Aggregator();
        var backend = new[] { A("http.request.method", "GET"), A("http.route", "/users/:id"), A("krakend.endpoint.route", "/u/:id"), A("krakend.endpoint.method", "GET") };
        aggregator.Ingest(Request(
            "a",
            Counter("http.client.request.started.count", Point(T(0), T(1), 3, backend)),
            Counter("http.client.request.size", Point(T(0), T(1), 120, backend)),
            Sum("http.client.response.read.time", "s", monotonic: true, OtlpTemporality.Cumulative, Point(T(0), T(1), 0.5, backend)),
            Sum("http.client.response.no-content-length", "By", monotonic: true, OtlpTemporality.Cumulative, Point(T(0), T(1), 1, backend)),
            Histogram("krakend.proxy.duration", HistogramPoint(T(0), T(1), TimeBuckets, [0.1], A("http.route", "/u/:id"), A("error", "false"))),
            Histogram("http.server.request.duration", "s", OtlpTemporality.Cumulative, HistogramPoint(T(0), T(1), TimeBuckets, [0.1], Route("/u/:id")))));

        var text = Render(aggregator);

        Assert.Contains("# TYPE http_client_request_started_count_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("http_client_request_started_count_total{http_request_method=\"GET\",http_route=\"/users/:id\",krakend_endpoint_method=\"GET\",krakend_endpoint_route=\"/u/:id\",otel_scope_name=\"io.krakend.krakend-otel\",otel_scope_version=\"\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE http_client_request_size_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE http_client_response_read_time_seconds_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE http_client_response_no_content_length_bytes_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("krakend_proxy_duration_bucket{error=\"false\",http_route=\"/u/:id\",otel_scope_name=\"io.krakend.krakend-otel\",otel_scope_version=\"\",le=\"0.1\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Collect_TargetInfo_HasStableResourceAttributesAndNoInstanceIdentity()
    {
        var aggregator = Aggregator();
        OtlpAttribute[] resource(string instance, string host) =>
        [
            A("service.name", "krakend"), A("service.version", "2.10.0"), A("deployment.environment", "prod"), A("cloud.region", "westeurope"),
            A("faas.name", "gateway"), A("service.instance.id", instance), A("faas.instance", instance + "-faas"), A("host.name", host),
            A("process.pid", "42"), A("container.id", "c1"), A("k8s.pod.name", "pod"),
        ];
        aggregator.Ingest(Request(resource("a", "h1"), Counter("requests", Point(T(0), T(1), 1))));
        aggregator.Ingest(Request(resource("b", "h2"), Counter("requests", Point(T(0), T(1), 1))));

        var text = Render(aggregator);

        Assert.Contains("target_info{cloud_region=\"westeurope\",deployment_environment=\"prod\",faas_name=\"gateway\",service_name=\"krakend\",service_version=\"2.10.0\"} 1\n", text, StringComparison.Ordinal);
        Assert.Single(aggregator.Collect().Single(f => f.Name == "target_info").Series);
        foreach (var identifying in new[] { "service_instance_id", "faas_instance", "host_name", "process_pid", "container_id", "k8s_pod_name", "h1", "-faas" })
        {
            Assert.DoesNotContain(identifying, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Collect_SelfMetrics_CountEveryOutcome()
    {
        var aggregator = Aggregator();
        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(2), 1))));
        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(2), 1))));
        aggregator.Ingest(Request("a", Counter("requests", Point(T(0), T(1), 1))));
        aggregator.Ingest(Request("b", new OtlpMetric("s", "", "", OtlpMetricKind.Summary, false, OtlpTemporality.Unspecified, [], [], 1)));

        Assert.Equal(1, Value(aggregator, "aggregator_points_accepted_total"));
        Assert.Equal(1, Value(aggregator, "aggregator_points_dropped_total", ("reason", "duplicate")));
        Assert.Equal(1, Value(aggregator, "aggregator_points_dropped_total", ("reason", "out_of_order")));
        Assert.Equal(1, Value(aggregator, "aggregator_points_rejected_total", ("reason", "summary")));
        Assert.Equal(0, Value(aggregator, "aggregator_points_rejected_total", ("reason", "type_conflict")));
        Assert.Equal(1, Value(aggregator, "aggregator_series"));
        Assert.Equal(1, Value(aggregator, "aggregator_entries"));
        Assert.Equal(2, Value(aggregator, "aggregator_instances"));
        Assert.Null(Series(aggregator, "aggregator_last_persist_timestamp_seconds"));
    }

    [Fact]
    public void RecordPersist_SetsPersistSelfMetrics()
    {
        var aggregator = Aggregator();

        aggregator.RecordPersist(TimeSpan.FromMilliseconds(250), new DateTimeOffset(2025, 1, 1, 0, 0, 10, TimeSpan.Zero));
        aggregator.RecordPersistFailure();

        Assert.Equal(0.25, Value(aggregator, "aggregator_last_persist_duration_seconds"));
        Assert.Equal(1735689610, Value(aggregator, "aggregator_last_persist_timestamp_seconds"));
        Assert.Equal(1, Value(aggregator, "aggregator_persist_failures_total"));
    }

    [PromtoolFact]
    public void Collect_WholeExposition_PassesPromtool()
    {
        var aggregator = Aggregator();
        foreach (var push in PushLog.Create(instances: 3, pushes: 4))
        {
            aggregator.Ingest(push);
        }

        aggregator.RecordPersist(TimeSpan.FromSeconds(1), DateTimeOffset.UnixEpoch);

        var (exitCode, output) = Promtool.CheckMetrics(PrometheusTextWriter.Render(aggregator.Collect()));

        // Exit 3 = lint findings; the gateway's own families have empty HELP like KrakenD's. Ours must be clean.
        Assert.True(exitCode is 0 or 3, output);
        Assert.DoesNotContain("aggregator_", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_InvalidOptions_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Aggregator(options: new AggregatorOptions { MaxSeries = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Aggregator(options: new AggregatorOptions { RetireAfter = TimeSpan.Zero }));
    }
}
