using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using FunctionApp.Tests.Common;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Metrics.V1;
using Telemetry.Aggregation;
using Xunit.Abstractions;
using static FunctionApp.Tests.Companion.BadInput.OtlpPushes;

namespace FunctionApp.Tests.Companion.BadInput;

/// <summary>
/// Bad input where memory matters, against the real companion process (<c>FunctionApp companion</c>), whose resident
/// memory is read from <c>/proc</c>: a gzip bomb and a million distinct label values.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class CompanionBadInputProcessTests(ITestOutputHelper output)
{
    private const long MiB = 1024 * 1024;

    private sealed class CompanionProcess : IAsyncDisposable
    {
        private CompanionProcess(GatewayProcess process, HttpClient client)
        {
            Process = process;
            Client = client;
        }

        public GatewayProcess Process { get; }

        public HttpClient Client { get; }

        /// <param name="heapLimit">A hard limit on the GC heap (<c>DOTNET_GCHeapHardLimit</c>), as on a small instance; null: none.</param>
        public static async Task<CompanionProcess> StartAsync(long? heapLimit = null)
        {
            var port = GatewayProcess.FreePort();
            var environment = heapLimit is { } limit ? new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = limit.ToString("X", CultureInfo.InvariantCulture) } : null;
            var process = GatewayProcess.Start(GatewayProcess.BuiltBinary, ["companion", "-p", port.ToString(CultureInfo.InvariantCulture), "--listen-ip", "127.0.0.1"], environment);
            var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
            (await process.WaitForAsync(client, "/metrics", TimeSpan.FromSeconds(30))).Dispose();
            return new CompanionProcess(process, client);
        }

        public async Task<string> ScrapeAsync()
        {
            using var response = await Client.GetAsync("/metrics");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"/metrics answered {(int)response.StatusCode}\n{Process.Output}");
            return await response.Content.ReadAsStringAsync();
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            Assert.False(Process.HasExited, "the companion died:\n" + Process.Output);
            await Process.DisposeAsync();
        }
    }

    [Fact]
    public async Task GzipBombOfOneGigabyte_Is413_AndTheCompanionsMemoryStaysFlat()
    {
        // A GC heap of 128 MiB: the 16 MiB cap fits many times over, the inflated gigabyte does not.
        await using var companion = await CompanionProcess.StartAsync(heapLimit: 128 * MiB);
        var bomb = GzipBomb(1024);
        Assert.InRange(bomb.Length, 512 * 1024, 2 * MiB); // ~1 MiB on the wire, 1 GiB inflated
        using (var warmUp = await companion.Client.PostAsync("/v1/metrics", Body(Request("warm-up", Counter("warm", Point(1, 1))))))
        {
            Assert.Equal(HttpStatusCode.OK, warmUp.StatusCode);
        }

        var before = companion.Process.ResidentBytes();
        var peak = before;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 3; i++)
        {
            // With a Content-Length (1 MiB, under the 16 MiB cap: only the inflated size is too large), then chunked.
            using HttpContent content = i % 2 == 0 ? Body(bomb, contentEncoding: "gzip") : Chunked(bomb);
            using var response = await companion.Client.PostAsync("/v1/metrics", content);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("the request body is larger than 16777216 bytes", (await StatusAsync(response)).Message);
            peak = Math.Max(peak, companion.Process.ResidentBytes());
        }

        clock.Stop();
        var exposition = await companion.ScrapeAsync();
        Assert.Equal(1, Sample(exposition, "aggregator_points_accepted_total"));
        output.WriteLine($"RSS before {before / MiB} MiB, peak after the bombs {peak / MiB} MiB; three bombs answered in {clock.ElapsedMilliseconds} ms");

        // The cap (16 MiB) bounds the buffer (measured: +50 to +100 MiB of RSS, mostly GC heap); inflating would take 1 GiB.
        Assert.True(peak - before < 256 * MiB, $"RSS grew from {before / MiB} MiB to {peak / MiB} MiB");
    }

    [Fact]
    public async Task MillionDistinctLabelValues_HitTheSeriesCaps_OverflowIsCounted_ExistingSeriesStillCount_MemoryBounded()
    {
        const int Metrics = 20, Batches = 10, PerBatch = 100_000, PerMetric = PerBatch / Metrics;
        var limits = new AggregatorOptions();
        Assert.Equal((20_000, 2_000), (limits.MaxSeries, limits.MaxSeriesPerMetric)); // the arithmetic below assumes them

        // The hand-written wire bytes are exactly the generated types' message.
        var small = Request("million", [.. Enumerable.Range(0, 2).Select(m => Counter($"distinct_{m}", [.. Enumerable.Range(0, 3).Select(i => Point(1, 1, Attribute("id", $"b7-m{m}-{i}")))]))]);
        foreach (var point in small.ResourceMetrics[0].ScopeMetrics[0].Metrics.SelectMany(static m => m.Sum.DataPoints))
        {
            point.AsInt = 1;
        }

        Assert.Equal(small, ExportMetricsServiceRequest.Parser.ParseFrom(BatchOfNewValues(7, 2, 3)));

        // A GC heap of 320 MiB: room for the 20,000 series and the garbage of one 100,000-point push being decoded
        // (about 170 MiB allocated, under 100 MiB live), far too little for a million series (about 700 bytes each
        // with their labels and keys): memory growing with the rejected values would kill the process.
        await using var companion = await CompanionProcess.StartAsync(heapLimit: 320 * MiB);
        var start = companion.Process.ResidentBytes();
        var rss = new List<long>();
        var clock = Stopwatch.StartNew();
        long accepted = 0, rejected = 0;
        var built = TimeSpan.Zero;
        for (var batch = 0; batch < Batches; batch++)
        {
            // 100,000 points, each a new label value: 20 counters of 5,000 points. In the first batch the first ten
            // counters take 2,000 series each (the per-metric cap rejects the other 3,000 of the first nine) and fill
            // the 20,000 global cap, which rejects the rest of the batch and every later batch.
            var building = Stopwatch.StartNew();
            var body = BatchOfNewValues(batch, Metrics, PerMetric);
            built += building.Elapsed;
            using var response = await companion.Client.PostAsync("/v1/metrics", Body(body, Protobuf));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"batch {batch}: {(int)response.StatusCode}\n{companion.Process.Output}");
            var partial = (await ExportResponseAsync(response)).PartialSuccess;
            var expectedRejected = batch == 0 ? PerBatch - 20_000 : PerBatch;
            Assert.Equal(expectedRejected, partial.RejectedDataPoints);
            Assert.Contains("over the aggregator's series limit", partial.ErrorMessage, StringComparison.Ordinal);
            accepted += PerBatch - partial.RejectedDataPoints;
            rejected += partial.RejectedDataPoints;
            rss.Add(companion.Process.ResidentBytes());
        }

        var pushing = clock.Elapsed;
        Assert.Equal((20_000, 980_000), (accepted, rejected));

        var exposition = await companion.ScrapeAsync();
        Assert.Equal(20_000, Sample(exposition, "aggregator_series"));
        Assert.Equal(20_000, Sample(exposition, "aggregator_entries"));
        Assert.Equal(20_000, Sample(exposition, "aggregator_points_accepted_total"));
        // The global cap is checked first: the tenth counter's last 3,000 points already count against it.
        Assert.Equal(9 * (PerMetric - 2_000), Rejected(exposition, "metric_series_limit"));
        Assert.Equal((PerMetric - 2_000) + (10 * PerMetric) + ((Batches - 1) * PerBatch), Rejected(exposition, "series_limit"));
        Assert.Equal(2_000, exposition.Split('\n').Count(static l => l.StartsWith("distinct_0_total{", StringComparison.Ordinal)));
        Assert.DoesNotContain("\ndistinct_10_total{", exposition, StringComparison.Ordinal);

        // A later push of existing series is still applied (cumulative: the newest value), while a new series is not.
        var update = Request("million", Counter("distinct_0", Point(42, 2, Attribute("id", "b0-m0-0"))), Counter("distinct_0", Point(1, 2, Attribute("id", "brand-new"))));
        using (var response = await companion.Client.PostAsync("/v1/metrics", Body(update)))
        {
            var partial = (await ExportResponseAsync(response)).PartialSuccess;
            Assert.Equal(1, partial.RejectedDataPoints);
        }

        var after = await companion.ScrapeAsync();
        Assert.Equal(42, Sample(after, "distinct_0_total{id=\"b0-m0-0\",otel_scope_name=\"bad-input-test\",otel_scope_version=\"\"}"));
        Assert.Equal(1, Sample(after, "distinct_0_total{id=\"b0-m0-1\",otel_scope_name=\"bad-input-test\",otel_scope_version=\"\"}"));
        Assert.Null(Sample(after, "distinct_0_total{id=\"brand-new\",otel_scope_name=\"bad-input-test\",otel_scope_version=\"\"}"));
        Assert.Equal(20_001, Sample(after, "aggregator_points_accepted_total"));

        var end = companion.Process.ResidentBytes();
        output.WriteLine($"RSS at start {start / MiB} MiB; after each batch: {string.Join(", ", rss.Select(static r => (r / MiB).ToString(CultureInfo.InvariantCulture)))} MiB; at the end {end / MiB} MiB");
        output.WriteLine($"1,000,000 points in {Batches} pushes took {pushing.TotalSeconds:F1} s (building them {built.TotalSeconds:F1} s); the whole test {clock.Elapsed.TotalSeconds:F1} s; exposition {exposition.Length / 1024} KiB");

        // Bounded: the heap limit held (the process is alive: checked on dispose), and so did the resident memory.
        Assert.True(rss.Max() < 512 * MiB, $"RSS peaked at {rss.Max() / MiB} MiB");
    }

    /// <summary>
    /// One push of <paramref name="metrics"/> cumulative counters with <paramref name="perMetric"/> points each, every
    /// point a label value not seen before (<c>id="b&lt;batch&gt;-m&lt;metric&gt;-&lt;i&gt;"</c>, value 1). The points
    /// are written as wire bytes: a million generated objects would cost the test more CPU than the companion spends
    /// decoding them; the envelope comes from the generated types.
    /// </summary>
    private static byte[] BatchOfNewValues(int batch, int metrics, int perMetric)
    {
        var scope = new MemoryStream();
        scope.Write(new ScopeMetrics { Scope = new InstrumentationScope { Name = "bad-input-test" } }.ToByteArray());
        var sum = new MemoryStream(perMetric * 64);
        Span<byte> point = stackalloc byte[96];
        for (var m = 0; m < metrics; m++)
        {
            sum.SetLength(0);
            for (var i = 0; i < perMetric; i++)
            {
                var value = string.Create(CultureInfo.InvariantCulture, $"b{batch}-m{m}-{i}");
                var length = value.Length; // ASCII, under 60 bytes: every length below is a one-byte varint
                var p = 0;
                point[p++] = 0x0A; // Sum.data_points
                point[p++] = (byte)(length + 37);
                point[p++] = 0x3A; // NumberDataPoint.attributes
                point[p++] = (byte)(length + 8);
                point[p++] = 0x0A; // KeyValue.key = "id"
                point[p++] = 2;
                point[p++] = (byte)'i';
                point[p++] = (byte)'d';
                point[p++] = 0x12; // KeyValue.value
                point[p++] = (byte)(length + 2);
                point[p++] = 0x0A; // AnyValue.string_value
                point[p++] = (byte)length;
                p += Encoding.ASCII.GetBytes(value, point[p..]);
                point[p++] = 0x11; // start_time_unix_nano (fixed64)
                BinaryPrimitives.WriteUInt64LittleEndian(point[p..], T(0));
                p += 8;
                point[p++] = 0x19; // time_unix_nano (fixed64)
                BinaryPrimitives.WriteUInt64LittleEndian(point[p..], T(1));
                p += 8;
                point[p++] = 0x31; // as_int (sfixed64)
                BinaryPrimitives.WriteInt64LittleEndian(point[p..], 1);
                p += 8;
                sum.Write(point[..p]);
            }

            sum.Write([0x10, (byte)AggregationTemporality.Cumulative, 0x18, 1]); // aggregation_temporality, is_monotonic
            var metric = new MemoryStream();
            metric.Write(new Metric { Name = $"distinct_{m}" }.ToByteArray());
            WriteField(metric, 0x3A, sum.GetBuffer().AsSpan(0, (int)sum.Length)); // Metric.sum
            WriteField(scope, 0x12, metric.GetBuffer().AsSpan(0, (int)metric.Length)); // ScopeMetrics.metrics
        }

        var resource = new MemoryStream();
        resource.Write(new ResourceMetrics { Resource = Request("million").ResourceMetrics[0].Resource }.ToByteArray());
        WriteField(resource, 0x12, scope.GetBuffer().AsSpan(0, (int)scope.Length)); // ResourceMetrics.scope_metrics
        var request = new MemoryStream();
        WriteField(request, 0x0A, resource.GetBuffer().AsSpan(0, (int)resource.Length)); // ExportMetricsServiceRequest.resource_metrics
        return request.ToArray();
    }

    private static void WriteField(MemoryStream target, byte tag, ReadOnlySpan<byte> payload)
    {
        target.WriteByte(tag);
        for (var length = (uint)payload.Length; ; length >>= 7)
        {
            if (length < 0x80)
            {
                target.WriteByte((byte)length);
                break;
            }

            target.WriteByte((byte)(length | 0x80));
        }

        target.Write(payload);
    }

    private static StreamContent Chunked(byte[] body)
    {
        // A stream of unknown length: HttpClient sends it chunked, without a Content-Length.
        var content = new StreamContent(new UnseekableStream(body));
        content.Headers.ContentType = new(Protobuf);
        content.Headers.ContentEncoding.Add("gzip");
        return content;
    }

    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
