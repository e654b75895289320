using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using Prometheus;
using Telemetry.Aggregation;
using Telemetry.Prometheus;

namespace Bench.Companion;

/// <summary>
/// <c>/metrics</c> render time for an aggregator holding ~10k series, side by side with two peers given the same
/// families (names, help, label sets, counter and gauge values, histogram bounds, bucket counts and counts):
/// <list type="bullet">
/// <item>ours: what <c>CompanionEndpoints.ScrapeAsync</c> does, <see cref="MetricAggregator.Collect"/> plus
/// <see cref="ProcessMetrics.Collect"/>, <see cref="PrometheusTextWriter.Write(IEnumerable{MetricFamily}, System.Buffers.IBufferWriter{byte}, bool)"/>
/// (text 0.0.4, UTF-8) into an <see cref="ExpositionBuffer"/> kept between renders (the endpoint keeps one too);</item>
/// <item>prometheus-net 8: a custom registry, <c>CollectAndExportAsTextAsync</c> into a reused memory stream;</item>
/// <item>the OpenTelemetry .NET Prometheus exporter: it renders only inside its own HTTP handler, so it is timed as a
/// loopback <c>GET /metrics</c> of its HttpListener (cache off), and the same GET of an empty provider is reported
/// as the HTTP share to subtract.</item>
/// </list>
/// The three are interleaved, one render each per iteration, so that load from other processes hits them alike.
/// </summary>
internal sealed class RenderBench : IDisposable
{
    private const string ScopeName = "io.krakend.krakend-otel";

    private readonly MetricAggregator _aggregator;
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly MemoryStream _peerBuffer = new();
    private readonly ExpositionBuffer _buffer = new();
    private readonly Meter _meter = new(ScopeName);
    private readonly Meter _emptyMeter = new("bench.empty");
    private readonly MeterProvider _otel;
    private readonly MeterProvider _otelEmpty;
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Uri _otelUri;
    private readonly Uri _otelEmptyUri;

    private RenderBench(MetricAggregator aggregator)
    {
        _aggregator = aggregator;
        var port = FreePort();
        var emptyPort = FreePort();
        _otelUri = new Uri($"http://127.0.0.1:{port}/metrics");
        _otelEmptyUri = new Uri($"http://127.0.0.1:{emptyPort}/metrics");

        // The providers first: an instrument records nothing until a provider listens to its meter.
        _otel = Sdk.CreateMeterProviderBuilder()
            .AddMeter(ScopeName)
            .AddPrometheusHttpListener(o => Configure(o, port))
            .Build();
        _otelEmpty = Sdk.CreateMeterProviderBuilder()
            .AddMeter(_emptyMeter.Name)
            .AddPrometheusHttpListener(o => Configure(o, emptyPort))
            .Build();
        var families = aggregator.Collect().Concat(ProcessMetrics.Collect()).ToList();
        FillPrometheusNet(families);
        FillOpenTelemetry(families);
    }

    public sealed record Timing(string Name, double MedianMs, double P99Ms, double CpuMs, int Bytes, int Samples, double AllocatedBytes);

    public sealed record Result(
        int Series,
        int Entries,
        int Instances,
        Timing Ours,
        double CollectMs,
        double TextMs,
        double ProcessCpuMs,
        double OursGen2PerRender,
        double OursGcPauseMsPerRender,
        Timing PrometheusNet,
        Timing OpenTelemetryHttp,
        double OpenTelemetryHttpBaselineMs,
        double OpenTelemetryHttpBaselineCpuMs,
        int Iterations);

    /// <summary>Fills an aggregator with <paramref name="instances"/> × the workload's series × <paramref name="variants"/>, then measures.</summary>
    public static async Task<Result> RunAsync(Workload workload, int instances, int variants, int warmup, int iterations)
    {
        var aggregator = new MetricAggregator(new AggregatorOptions(), TimeProvider.System);
        workload.Fill(aggregator, instances, variants, static _ => true);
        using var bench = new RenderBench(aggregator);
        return await bench.MeasureAsync(warmup, iterations).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _otel.Dispose();
        _otelEmpty.Dispose();
        _meter.Dispose();
        _emptyMeter.Dispose();
        _client.Dispose();
        _peerBuffer.Dispose();
        _buffer.Dispose();
    }

    private async Task<Result> MeasureAsync(int warmup, int iterations)
    {
        var ours = new List<double>();
        var collect = new List<double>();
        var text = new List<double>();
        var procCpu = new List<double>();
        var peer = new List<double>();
        var otel = new List<double>();
        var otelEmpty = new List<double>();
        var oursCpu = new List<double>();
        var peerCpu = new List<double>();
        var otelCpu = new List<double>();
        var otelEmptyCpu = new List<double>();
        var oursAllocated = new List<double>();
        var peerAllocated = new List<double>();
        byte[] oursBytes = [], peerBytes = [], otelBytes = [];
        Stats.Settle();
        var gen2 = 0;
        var pause = TimeSpan.Zero;
        for (var i = 0; i < warmup + iterations; i++)
        {
            var measured = i >= warmup;
            var gen2Before = GC.CollectionCount(2);
            var pauseBefore = GC.GetTotalPauseDuration();

            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var cpu = CpuClock.Nanoseconds();
            var t0 = Stopwatch.GetTimestamp();
            var aggregate = _aggregator.Collect();
            var processCpu0 = CpuClock.Nanoseconds();
            var process = ProcessMetrics.Collect();
            var processCpu1 = CpuClock.Nanoseconds();
            var families = aggregate.Concat(process);
            var t1 = Stopwatch.GetTimestamp();
            _buffer.Reset();
            PrometheusTextWriter.Write(families, _buffer);
            var t2 = Stopwatch.GetTimestamp();
            if (measured)
            {
                oursCpu.Add((CpuClock.Nanoseconds() - cpu) / 1e6);
                procCpu.Add((processCpu1 - processCpu0) / 1e6);
                oursAllocated.Add(GC.GetTotalAllocatedBytes(precise: true) - allocated);
                ours.Add(Stats.Ms(t2 - t0));
                collect.Add(Stats.Ms(t1 - t0));
                text.Add(Stats.Ms(t2 - t1));
                gen2 += GC.CollectionCount(2) - gen2Before;
                pause += GC.GetTotalPauseDuration() - pauseBefore;
            }

            allocated = GC.GetTotalAllocatedBytes(precise: true);
            cpu = CpuClock.Nanoseconds();
            t0 = Stopwatch.GetTimestamp();
            _peerBuffer.SetLength(0);
            await _registry.CollectAndExportAsTextAsync(_peerBuffer).ConfigureAwait(false);
            t1 = Stopwatch.GetTimestamp();
            if (measured)
            {
                peerCpu.Add((CpuClock.Nanoseconds() - cpu) / 1e6);
                peerAllocated.Add(GC.GetTotalAllocatedBytes(precise: true) - allocated);
                peer.Add(Stats.Ms(t1 - t0));
            }

            var cpu0 = CpuClock.Nanoseconds();
            t0 = Stopwatch.GetTimestamp();
            otelBytes = await _client.GetByteArrayAsync(_otelUri).ConfigureAwait(false);
            t1 = Stopwatch.GetTimestamp();
            var cpu1 = CpuClock.Nanoseconds();
            _ = await _client.GetByteArrayAsync(_otelEmptyUri).ConfigureAwait(false);
            t2 = Stopwatch.GetTimestamp();
            var cpu2 = CpuClock.Nanoseconds();
            if (measured)
            {
                otel.Add(Stats.Ms(t1 - t0));
                otelEmpty.Add(Stats.Ms(t2 - t1));
                otelCpu.Add((cpu1 - cpu0) / 1e6);
                otelEmptyCpu.Add((cpu2 - cpu1) / 1e6);
            }
        }

        peerBytes = _peerBuffer.ToArray();
        oursBytes = _buffer.ToArray();
        var reference = Encoding.UTF8.GetBytes(PrometheusTextWriter.Render(_aggregator.Collect().Concat(ProcessMetrics.Collect())));
        if (Samples(reference) != Samples(oursBytes))
        {
            throw new InvalidOperationException("the buffered render and Render disagree");
        }

        var state = _aggregator.CreateSnapshot();
        return new Result(
            state.SeriesCount,
            state.EntryCount,
            state.InstanceCount,
            new Timing("ours", Stats.Median(ours), Stats.Percentile(ours, 99), Stats.Median(oursCpu), oursBytes.Length, Samples(oursBytes), Stats.Median(oursAllocated)),
            Stats.Median(collect),
            Stats.Median(text),
            Stats.Median(procCpu),
            gen2 / (double)iterations,
            pause.TotalMilliseconds / iterations,
            new Timing("prometheus-net", Stats.Median(peer), Stats.Percentile(peer, 99), Stats.Median(peerCpu), peerBytes.Length, Samples(peerBytes), Stats.Median(peerAllocated)),
            new Timing("OpenTelemetry", Stats.Median(otel), Stats.Percentile(otel, 99), Stats.Median(otelCpu), otelBytes.Length, Samples(otelBytes), double.NaN),
            Stats.Median(otelEmpty),
            Stats.Median(otelEmptyCpu),
            iterations);
    }

    /// <summary>Sample lines (not comments, not empty) of an exposition.</summary>
    private static int Samples(byte[] exposition)
    {
        var count = 0;
        var lineStart = true;
        foreach (var b in exposition)
        {
            if (lineStart && b != (byte)'#' && b != (byte)'\n')
            {
                count++;
            }

            lineStart = b == (byte)'\n';
        }

        return count;
    }

    private void FillPrometheusNet(List<MetricFamily> families)
    {
        var factory = Metrics.WithCustomRegistry(_registry);
        foreach (var family in families)
        {
            var names = LabelNames(family, includeScope: true);
            var help = family.Help.Length > 0 ? family.Help : family.Name;
            switch (family.Type)
            {
                case MetricFamilyType.Counter:
                    var counter = factory.CreateCounter(family.Name, help, new CounterConfiguration { LabelNames = names });
                    foreach (var series in family.Series)
                    {
                        (names.Length == 0 ? (ICounter)counter : counter.WithLabels(Values(series, names))).Inc(series.Value);
                    }

                    break;
                case MetricFamilyType.Gauge:
                    var gauge = factory.CreateGauge(family.Name, help, new GaugeConfiguration { LabelNames = names });
                    foreach (var series in family.Series)
                    {
                        (names.Length == 0 ? (IGauge)gauge : gauge.WithLabels(Values(series, names))).Set(series.Value);
                    }

                    break;
                default:
                    var bounds = family.Series[0].Buckets.Select(static b => b.UpperBound).ToArray();
                    var histogram = factory.CreateHistogram(family.Name, help, new Prometheus.HistogramConfiguration { LabelNames = names, Buckets = bounds });
                    foreach (var series in family.Series)
                    {
                        var child = names.Length == 0 ? (IHistogram)histogram : histogram.WithLabels(Values(series, names));
                        foreach (var (bound, count) in Observations(series))
                        {
                            child.Observe(bound, count);
                        }
                    }

                    break;
            }
        }
    }

    private void FillOpenTelemetry(List<MetricFamily> families)
    {
        foreach (var family in families)
        {
            // The exporter writes its own target_info (from the resource) and scope labels (from the meter).
            if (family.Name == "target_info")
            {
                continue;
            }

            switch (family.Type)
            {
                case MetricFamilyType.Counter:
                    var counter = _meter.CreateCounter<double>(family.Name, unit: null, description: family.Help);
                    foreach (var series in family.Series)
                    {
                        counter.Add(series.Value, Tags(series));
                    }

                    break;
                case MetricFamilyType.Gauge:
                    var gauge = _meter.CreateGauge<double>(family.Name, unit: null, description: family.Help);
                    foreach (var series in family.Series)
                    {
                        gauge.Record(series.Value, Tags(series));
                    }

                    break;
                default:
                    var bounds = family.Series[0].Buckets.Select(static b => b.UpperBound).ToArray();
                    var histogram = _meter.CreateHistogram(family.Name, unit: null, description: family.Help, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = bounds });
                    foreach (var series in family.Series)
                    {
                        var tags = Tags(series);
                        foreach (var (bound, count) in Observations(series))
                        {
                            for (var n = 0L; n < count; n++)
                            {
                                histogram.Record(bound, tags);
                            }
                        }
                    }

                    break;
            }
        }
    }

    /// <summary>Per bucket, one observation value inside it and how many: the bucket counts and the total count match.</summary>
    private static IEnumerable<(double Bound, long Count)> Observations(MetricSeries series)
    {
        ulong previous = 0;
        var last = 0.0;
        foreach (var bucket in series.Buckets)
        {
            if (bucket.CumulativeCount > previous)
            {
                yield return (bucket.UpperBound, (long)(bucket.CumulativeCount - previous));
            }

            previous = bucket.CumulativeCount;
            last = bucket.UpperBound;
        }

        if (series.Count > previous)
        {
            yield return (last + 1, (long)(series.Count - previous));
        }
    }

    /// <summary>The label names of a family's series (their union, sorted; a series without one gets "").</summary>
    private static string[] LabelNames(MetricFamily family, bool includeScope) =>
        [.. family.Series.SelectMany(static s => s.Labels).Select(static l => l.Name)
            .Where(n => includeScope || !n.StartsWith("otel_scope_", StringComparison.Ordinal))
            .Distinct().Order(StringComparer.Ordinal)];

    private static string[] Values(MetricSeries series, string[] names) =>
        [.. names.Select(n => series.Labels.FirstOrDefault(l => l.Name == n).Value ?? "")];

    private static KeyValuePair<string, object?>[] Tags(MetricSeries series) =>
        [.. series.Labels.Where(static l => !l.Name.StartsWith("otel_scope_", StringComparison.Ordinal)).Select(static l => new KeyValuePair<string, object?>(l.Name, l.Value))];

    /// <summary>Loopback, no response cache: every GET renders.</summary>
    private static void Configure(PrometheusHttpListenerOptions options, int port)
    {
        options.Host = "127.0.0.1";
        options.Port = port;
        options.ScrapeResponseCacheDurationMilliseconds = 0;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
