// The companion's benchmark (not a test): ingest throughput of gateway pushes (incremental and full) on one thread, /metrics render
// time at ~10k series side by side with prometheus-net and the OpenTelemetry Prometheus exporter, and retained memory
// per (instance, series) entry; printed as markdown tables with the targets of issue 5. Run by bench/companion.sh.
//
//   BenchCompanion [--quick] [--push FILE]              measure (FILE: a captured OTLP protobuf push; default: the
//                                                       gateway-push.bin shipped beside the binary)
//   BenchCompanion capture GATEWAY_BINARY OUT [N]       capture a real push from the gateway binary after N invocations

using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using Bench.Companion;
using Telemetry.Aggregation.Otlp;

if (args.Length >= 3 && args[0] == "capture")
{
    return await Capture.RunAsync(args[1], args[2], args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 70);
}

var quick = args.Contains("--quick");
var pushIndex = Array.IndexOf(args, "--push");
var pushFile = pushIndex >= 0 && pushIndex + 1 < args.Length ? args[pushIndex + 1] : Path.Combine(AppContext.BaseDirectory, "gateway-push.bin");
if (!File.Exists(pushFile))
{
    Console.Error.WriteLine($"no captured push at {pushFile}: run bench/companion.sh --capture first");
    return 1;
}

// Sizes: quick stays under a minute on 2 shared cores; the full run repeats more for steadier medians.
var ingestInstances = 50;
var (ingestWarmupRounds, ingestRounds, ingestRepetitions) = quick ? (20, 20, 5) : (40, 60, 9);
// Two render sizes: ~10k aggregator series (label sets; mostly histograms, so ~160k sample lines), and ~10k sample
// lines (Prometheus' own count of series: every _bucket, _sum and _count line is one).
var renderInstances = 5;
var (renderWarmup, renderIterations) = quick ? (5, 20) : (20, 100);
var (smallRenderWarmup, smallRenderIterations) = quick ? (20, 200) : (50, 1000);
var (memoryInstances, memoryVariants) = quick ? (20, 50) : (50, 100);

var started = DateTime.UtcNow;
var load = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
var body = await File.ReadAllBytesAsync(pushFile);
var template = PushTemplate.Parse(body);
var decoded = OtlpMetricsDecoder.DecodeProtobuf(body);
if (!decoded.Succeeded)
{
    Console.Error.WriteLine($"{pushFile}: {decoded.Error}");
    return 1;
}

var request = decoded.Request;
var metrics = request.ResourceMetrics.SelectMany(static r => r.ScopeMetrics).SelectMany(static s => s.Metrics).ToList();
var points = request.DataPointCount;
var histogramPoints = metrics.Sum(static m => m.HistogramPoints.Count);
var workload = new Workload(request);

// The realistic push: what the gateway sends after one request (the series it changed), one per endpoint in turn.
var incremental = IncrementalPush.PerEndpoint(body);
var incrementalTemplates = incremental.Select(static p => PushTemplate.Parse(p.Body)).ToArray();
var incrementalPoints = incremental.Select(static p => OtlpMetricsDecoder.DecodeProtobuf(p.Body).Request!.DataPointCount).ToArray();

var profileIndex = Array.IndexOf(args, "--profile");
if (profileIndex >= 0 && profileIndex + 2 < args.Length)
{
    // A steady loop of one workload for a profiler to attach to (dotnet-trace collect -- BenchCompanion --profile …).
    return await Profile.RunAsync(args[profileIndex + 1], double.Parse(args[profileIndex + 2], CultureInfo.InvariantCulture), template, workload, points, incrementalTemplates, incrementalPoints);
}

// Memory first, while the heap holds nothing else of this run.
Log($"memory: 1 and {memoryInstances} instances × {memoryVariants} variants, counters then histograms, 3 times each");
var counters = MemoryBench.Run(workload, "counters", static m => m.Kind == OtlpMetricKind.Sum, memoryInstances, memoryVariants, 3);
var histograms = MemoryBench.Run(workload, "histograms", static m => m.Kind == OtlpMetricKind.Histogram, memoryInstances, memoryVariants, 3);
Log($"push: {body.Length} bytes, {points} points, {metrics.Count} metrics; {incremental.Count} incremental pushes of {incrementalPoints.Min()}–{incrementalPoints.Max()} points");
Log($"ingest, incremental: {ingestInstances} instances × {ingestRounds * 5} rounds × {ingestRepetitions} repetitions");
var ingestIncremental = IngestBench.Run(incrementalTemplates, incrementalPoints, ingestInstances, ingestWarmupRounds * 5, ingestRounds * 5, ingestRepetitions);
Log($"ingest, full: {ingestInstances} instances × {ingestRounds} rounds × {ingestRepetitions} repetitions");
var ingest = IngestBench.Run([template], [points], ingestInstances, ingestWarmupRounds, ingestRounds, ingestRepetitions);
Log($"render: {renderInstances} instances × 100 variants, {renderIterations} iterations; × 6 variants, {smallRenderIterations} iterations");
var render = await RenderBench.RunAsync(workload, renderInstances, 100, renderWarmup, renderIterations);
var smallRender = await RenderBench.RunAsync(workload, renderInstances, 6, smallRenderWarmup, smallRenderIterations);

var cpu = File.Exists("/proc/cpuinfo")
    ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(static l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
    : null;
var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
var gc = $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC, {GCSettings.LatencyMode}";
var wall = (DateTime.UtcNow - started).TotalSeconds;

Console.WriteLine();
Console.WriteLine($"Companion benchmark ({(quick ? "quick" : "full")}; {RuntimeInformation.FrameworkDescription}, JIT, Release, {gc}; everything on one thread except the OpenTelemetry exporter's HTTP listener)");
Console.WriteLine($"Machine: {Environment.ProcessorCount} cores ({cpu ?? "unknown CPU"}), {memory:F1} GiB RAM; {started:yyyy-MM-dd HH:mm} UTC; load average at start {load}; wall time {wall:F0} s.");
Console.WriteLine($"Full push: {Path.GetFileName(pushFile)}, a real gateway push (OTLP/HTTP protobuf, cumulative): {body.Length} bytes, {points} data points " +
    $"({points - histogramPoints} sum, {histogramPoints} histogram) in {metrics.Count} metrics, {template.TimestampCount} timestamps patched per push.");
Console.WriteLine($"Incremental pushes (the realistic push: the series one request changed), derived from it, one per endpoint in turn: " +
    string.Join(", ", incremental.Select((p, i) => $"{p.Endpoint} {incrementalPoints[i]} points / {p.Body.Length} bytes")) + ".");
Console.WriteLine();
Console.WriteLine("Ingest, one thread: decode (OtlpMetricsDecoder.DecodeProtobuf) + MetricAggregator.Ingest, steady state");
Console.WriteLine();
Console.WriteLine("| measure | incremental push (realistic) | full push (refresh every 5 min) |");
Console.WriteLine("|---|---:|---:|");
Row2("data points / push (mean)", r => $"{r.PointsPerPush:F1}");
Row2("pushes / CPU-second (process CPU time; median of repetitions)", r => $"**{r.PushesPerCpuSecond:F0}**");
Row2("pushes / s, wall clock (median; min–max of repetitions)", r => $"{r.PushesPerSecond:F0} ({r.PushesPerSecondMin:F0}–{r.PushesPerSecondMax:F0})");
Row2("data points / CPU-second", r => $"{r.PushesPerCpuSecond * r.PointsPerPush:F0}");
Row2("CPU µs / push", r => $"{r.CpuMicroseconds:F1}");
Row2("CPU µs / push, clocked apart: decode + ingest", r => $"{r.DecodeCpuMicroseconds:F1} + {r.IngestCpuMicroseconds:F1}");
Row2("CPU ns / data point: decode + ingest", r => $"{r.DecodeCpuMicroseconds * 1000 / r.PointsPerPush:F0} + {r.IngestCpuMicroseconds * 1000 / r.PointsPerPush:F0}");
Row2("allocated bytes / push: decode + ingest", r => $"{r.DecodeAllocatedBytesPerPush:F0} + {r.AllocatedBytesPerPush - r.DecodeAllocatedBytesPerPush:F0} = {r.AllocatedBytesPerPush:F0}");
Row2("GCs per 1000 pushes: gen0 / gen1 / gen2", r => $"{r.Gen0Per1000:F1} / {r.Gen1Per1000:F1} / {r.Gen2Per1000:F1}");
Row2("GC pause, share of the measured time", r => $"{r.GcPausePercent:F1} %");
Row2("µs for an instance's first push of each template (creates its entries)", r => $"{r.FirstPushMicroseconds:F0}");
Row2("pushes measured", r => $"{r.Repetitions} × {r.Pushes / ingestInstances} rounds × {ingestInstances} instances");
Console.WriteLine();
RenderTable(render, renderWarmup);
RenderTable(smallRender, smallRenderWarmup);
Console.WriteLine("Retained memory per (instance, series) entry (GC.GetTotalMemory(true) before and after filling; medians of 3 fills)");
Console.WriteLine();
Console.WriteLine("| kind | series | instances | entries | bytes / entry, all-in | bytes / entry, 1 instance | bytes / extra instance entry | fixed bytes / series | snapshot bytes / entry |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var m in new[] { counters, histograms })
{
    Console.WriteLine($"| {m.Kind} | {m.Series} | {m.Instances} | {m.Entries} | {m.BytesPerEntry:F0} | {m.BytesPerEntryOneInstance:F0} | {m.MarginalBytesPerEntry:F0} | " +
        $"{m.BytesPerEntryOneInstance - m.MarginalBytesPerEntry:F0} | {m.SnapshotBytesPerEntry:F1} |");
}

Console.WriteLine();
Console.WriteLine("Targets (issue 5), judged on CPU time (what one core of its own would take; wall times above are inflated by whatever else the cores run)");
Console.WriteLine();
Console.WriteLine("| target | measured | status |");
Console.WriteLine("|---|---:|:-:|");
Target("≥ 20,000 realistic (incremental) pushes / s on one core", $"{ingestIncremental.PushesPerCpuSecond:F0} / CPU-s", ingestIncremental.PushesPerCpuSecond >= 20_000);
Target("≥ 20,000 full pushes / s on one core (not the target's push: every 5 min per instance)", $"{ingest.PushesPerCpuSecond:F0} / CPU-s", ingest.PushesPerCpuSecond >= 20_000);
foreach (var r in new[] { render, smallRender })
{
    var size = $"{r.Series} series, {r.Ours.Samples} samples";
    Target($"/metrics < 10 ms ({size})", $"{r.Ours.CpuMs:F2} CPU ms ({r.Ours.MedianMs:F2} wall)", r.Ours.CpuMs < 10);
    Target($"/metrics faster than prometheus-net ({size})", $"{r.Ours.CpuMs / r.PrometheusNet.CpuMs:F2} × its CPU time", r.Ours.CpuMs < r.PrometheusNet.CpuMs);
    var (cpuNet, _) = OpenTelemetryNet(r);
    Target($"/metrics faster than the OpenTelemetry exporter, net of HTTP ({size})", $"{r.Ours.CpuMs / cpuNet:F2} × its CPU time", r.Ours.CpuMs < cpuNet);
}

var worst = Math.Max(counters.BytesPerEntry, histograms.BytesPerEntry);
Target($"< 1 KB per (instance, series) entry ({memoryInstances} instances, all-in; worst kind)", $"{worst:F0} B", worst < 1024);
var worstMarginal = Math.Max(counters.MarginalBytesPerEntry, histograms.MarginalBytesPerEntry);
Target("< 1 KB per extra (instance, series) entry (worst kind)", $"{worstMarginal:F0} B", worstMarginal < 1024);
return 0;

static void RenderTable(RenderBench.Result render, int warmup)
{
    Console.WriteLine($"/metrics render of {render.Series} series ({render.Ours.Samples} sample lines; {render.Entries} entries, {render.Instances} instances), text 0.0.4, {render.Iterations} iterations after {warmup} warm-up, interleaved");
    Console.WriteLine();
    Console.WriteLine("| renderer | CPU ms (median) | wall ms (median) | wall ms (p99) | bytes | samples | allocated MB / render | ours ÷ this, CPU | ours ÷ this, wall |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    RenderRow("ours, as CompanionEndpoints (Collect, ProcessMetrics.Collect, Write)", render.Ours, render.Ours);
    Console.WriteLine($"| ↳ ours net of reading /proc for the process metrics ({render.ProcessCpuMs:F2} CPU ms, which the peers do not do) | {render.Ours.CpuMs - render.ProcessCpuMs:F2} | | | | | | | |");
    RenderRow("prometheus-net 8.2.1, CollectAndExportAsTextAsync", render.PrometheusNet, render.Ours);
    RenderRow("OpenTelemetry Prometheus exporter 1.20.1-beta.1, loopback GET", render.OpenTelemetryHttp, render.Ours);
    var (cpuNet, wallNet) = OpenTelemetryNet(render);
    Console.WriteLine($"| ↳ OpenTelemetry net of the same GET of an empty provider ({render.OpenTelemetryHttpBaselineCpuMs:F2} CPU ms, {render.OpenTelemetryHttpBaselineMs:F2} wall ms) | {cpuNet:F2} | {wallNet:F2} | | | | | {render.Ours.CpuMs / cpuNet:F2} | {render.Ours.MedianMs / wallNet:F2} |");
    Console.WriteLine();
    Console.WriteLine($"Ours, wall medians by step: Collect (aggregate + process metrics, {render.ProcessCpuMs:F2} CPU ms of it reading /proc) {render.CollectMs:F2} ms, PrometheusTextWriter.Write (UTF-8 into the reused ExpositionBuffer) {render.TextMs:F2} ms; " +
        $"{render.OursGen2PerRender:F2} gen2 GCs and {render.OursGcPauseMsPerRender:F2} ms of GC pause per render.");
    Console.WriteLine();
}

static (double Cpu, double Wall) OpenTelemetryNet(RenderBench.Result render) =>
    (render.OpenTelemetryHttp.CpuMs - render.OpenTelemetryHttpBaselineCpuMs, render.OpenTelemetryHttp.MedianMs - render.OpenTelemetryHttpBaselineMs);

void Row2(string name, Func<IngestBench.Result, string> value) => Console.WriteLine($"| {name} | {value(ingestIncremental)} | {value(ingest)} |");

static void RenderRow(string name, RenderBench.Timing timing, RenderBench.Timing ours) =>
    Console.WriteLine($"| {name} | {timing.CpuMs:F2} | {timing.MedianMs:F2} | {timing.P99Ms:F2} | {timing.Bytes} | {timing.Samples} | " +
        $"{(double.IsNaN(timing.AllocatedBytes) ? "-" : (timing.AllocatedBytes / (1024 * 1024)).ToString("F1", CultureInfo.InvariantCulture))} | {ours.CpuMs / timing.CpuMs:F2} | {ours.MedianMs / timing.MedianMs:F2} |");

static void Target(string name, string measured, bool met) => Console.WriteLine($"| {name} | {measured} | {(met ? "✓" : "✗")} |");

static void Log(string message) => Console.Error.WriteLine($"[companion-bench] {message}");
