// Bytes and objects allocated per request, and CPU time per request, of the gateway's hot path, measured in-process
// with deterministic counters rather than wall-clock throughput (which is noisy on a shared 2-core machine).
//
//   BenchAllocations --backend http://127.0.0.1:PORT [--requests N] [--warmup N] [--concurrency N]
//                    [--scenarios direct,off-data,...] [--types N] [--otlp-port PORT]
//
// For each scenario it starts the gateway in this process on a free loopback port (the configs are the ones
// bench/run.sh writes), warms up, then over N requests of a client in this process measures:
//   * bytes/req: GC.GetTotalAllocatedBytes(precise) delta / N (exact; every thread of the process);
//   * objects/req and the top types: from the runtime's randomized allocation sampling (.NET 10 AllocationSampled
//     events, a statistical estimate, in a separate pass so that the listener's own cost is not in bytes/req);
//   * CPU µs/req: process CPU time delta / N (noisy: other processes share the cores).
// The client's own cost is the "direct" scenario (the same client against the backend); the "gateway" columns
// subtract it. The backend runs in its own process (bench/Allocations/run.sh starts it), so its cost is not counted.

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Net;
using FunctionApp.Gateway.Configuration;
using FunctionApp.Hosting;
using Microsoft.AspNetCore.Builder;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Telemetry.Runtime;

var options = Options.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: BenchAllocations --backend http://127.0.0.1:PORT [--requests N] [--warmup N] [--concurrency N] [--scenarios a,b] [--types N] [--otlp-port PORT]");
    return 2;
}

Configs.Backend = options.Backend;
var scenarios = new List<Scenario>
{
    new("direct", "backend direct /data (client cost)", null, "/data", null),
    new("off-data", "gateway, telemetry off, /data", Configs.Gateway(""), "/data", null),
    new("off-merged", "gateway, telemetry off, /merged", Configs.Gateway(""), "/merged", null),
    new("otel-data", "gateway + telemetry (no-op exporters, background), /data", Configs.Gateway(Configs.Telemetry(null)), "/data", TelemetryMode.NoopExporters),
    new("otel-merged", "gateway + telemetry (no-op exporters, background), /merged", Configs.Gateway(Configs.Telemetry(null)), "/merged", TelemetryMode.NoopExporters),
};
if (options.OtlpPort is { } otlpPort)
{
    scenarios.Add(new("otlp-data", "gateway + telemetry (OTLP/HTTP to a sink, background), /data", Configs.Gateway(Configs.Telemetry(otlpPort)), "/data", TelemetryMode.Otlp));
    scenarios.Add(new("otlp-merged", "gateway + telemetry (OTLP/HTTP to a sink, background), /merged", Configs.Gateway(Configs.Telemetry(otlpPort)), "/merged", TelemetryMode.Otlp));
}

if (options.Scenarios is { } only)
{
    scenarios.RemoveAll(s => !only.Contains(s.Key));
}

Console.WriteLine($"requests {options.Requests}, warm-up {options.Warmup}, concurrency {options.Concurrency}, backend {options.Backend}, runtime {Environment.Version}, GC server={System.Runtime.GCSettings.IsServerGC}");
var results = new List<Result>();
foreach (var scenario in scenarios)
{
    results.Add(await Runner.RunAsync(scenario, options));
}

var client = results.Find(r => r.Scenario.Key == "direct");
Console.WriteLine();
Console.WriteLine("| scenario | bytes/req | objects/req (est.) | CPU µs/req | gateway bytes/req | gateway objects/req (est.) | gateway CPU µs/req |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
foreach (var r in results)
{
    string Minus(double value, double? baseline) => baseline is { } b && r != client ? (value - b).ToString("F0", CultureInfo.InvariantCulture) : "-";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {r.Scenario.Key}: {r.Scenario.Label} | {r.BytesPerRequest:F0} | {Fmt(r.ObjectsPerRequest)} | {r.CpuMicrosPerRequest:F1} | {Minus(r.BytesPerRequest, client?.BytesPerRequest)} | {(r.ObjectsPerRequest is { } o && client?.ObjectsPerRequest is { } co && r != client ? (o - co).ToString("F0", CultureInfo.InvariantCulture) : "-")} | {Minus(r.CpuMicrosPerRequest, client?.CpuMicrosPerRequest)} |"));
}

return 0;

static string Fmt(double? value) => value is { } v ? v.ToString("F0", CultureInfo.InvariantCulture) : "-";

internal enum TelemetryMode
{
    NoopExporters,
    Otlp,
}

internal sealed record Scenario(string Key, string Label, string? GatewayConfig, string Path, TelemetryMode? Telemetry);

internal sealed record Result(Scenario Scenario, double BytesPerRequest, double? ObjectsPerRequest, double CpuMicrosPerRequest);

internal sealed record Options(Uri Backend, int Requests, int Warmup, int Concurrency, HashSet<string>? Scenarios, int Types, int? OtlpPort)
{
    public static Options? Parse(string[] args)
    {
        Uri? backend = null;
        int requests = 20000, warmup = 10000, concurrency = 8, types = 0;
        int? otlp = null;
        HashSet<string>? scenarios = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--backend": backend = new Uri(value); break;
                case "--requests": requests = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--concurrency": concurrency = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--types": types = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--otlp-port": otlp = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--scenarios": scenarios = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]; break;
                default: return null;
            }
        }

        return backend is null || args.Length % 2 != 0 ? null : new Options(backend, requests, warmup, concurrency, scenarios, types, otlp);
    }
}

/// <summary>The krakend.json bench/run.sh writes (its write_config and telemetry_config), on port 0.</summary>
internal static class Configs
{
    public static Uri Backend { get; set; } = new("http://127.0.0.1:9100");

    public static string Gateway(string extra) => $$"""
        {
          "version": 3,
          "name": "bench",
          "listen_ip": "127.0.0.1",
          "port": 0,
          "timeout": "3s",{{extra}}
          "endpoints": [
            {
              "endpoint": "/data",
              "method": "GET",
              "output_encoding": "json",
              "backend": [
                { "host": ["{{BackendHost}}"], "url_pattern": "/data", "encoding": "json" }
              ]
            },
            {
              "endpoint": "/merged",
              "method": "GET",
              "output_encoding": "json",
              "backend": [
                { "host": ["{{BackendHost}}"], "url_pattern": "/data", "encoding": "json" },
                { "host": ["{{BackendHost}}"], "url_pattern": "/data2", "encoding": "json" }
              ]
            }
          ]
        }
        """;

    /// <summary>Every layer on (no "layers" object), every request sampled; with a port, one OTLP/HTTP exporter to it.</summary>
    public static string Telemetry(int? otlpPort) => $$"""

          "extra_config": {
            "telemetry/opentelemetry": {
              "service_name": "bench",
              "trace_sample_rate": 1,
              "metric_reporting_period": 5,
              "exporters": { "otlp": [ {{(otlpPort is { } port ? $$"""{ "name": "sink", "host": "127.0.0.1", "port": {{port}}, "use_http": true }""" : "")}} ] }
            }
          },
        """;

    private static string BackendHost => Backend.GetLeftPart(UriPartial.Authority);
}

internal static class Runner
{
    private static int _instance;

    public static async Task<Result> RunAsync(Scenario scenario, Options options)
    {
        WebApplication? app = null;
        Uri target;
        if (scenario.GatewayConfig is { } config)
        {
            var model = ConfigLoader.Load(config, "bench config");
            var mode = new HostingMode { Name = "standalone", ListenOn = new IPEndPoint(IPAddress.Loopback, 0), AnswersHostProbe = false };
            TelemetryRuntimeSettings? settings = null;
            if (scenario.Telemetry is { } telemetry)
            {
                settings = new TelemetryRuntimeSettings
                {
                    SourcesName = "bench-" + Interlocked.Increment(ref _instance).ToString(CultureInfo.InvariantCulture),
                    FlushMode = FlushMode.Background,
                    GetSetting = static _ => null,
                    ConfigureTracing = telemetry == TelemetryMode.NoopExporters
                        ? static tracing => tracing.AddProcessor(new BatchActivityExportProcessor(new NoopSpanExporter()))
                        : null,
                    ConfigureMetrics = telemetry == TelemetryMode.NoopExporters
                        ? static metrics => metrics.AddReader(new PeriodicExportingMetricReader(new NoopMetricExporter(), 5000))
                        : null,
                };
            }

            app = GatewayHost.Build(model, mode, telemetrySettings: settings);
            await app.StartAsync();
            target = new Uri(new Uri(app.Urls.First()), scenario.Path);
        }
        else
        {
            target = new Uri(options.Backend, scenario.Path);
        }

        try
        {
            using var handler = new SocketsHttpHandler
            {
                UseProxy = false,
                AllowAutoRedirect = false,
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.None,
                MaxConnectionsPerServer = options.Concurrency,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            };
            using var client = new HttpMessageInvoker(handler);
            await CheckAsync(client, target, scenario);

            Console.Error.WriteLine($"[{scenario.Key}] warm-up {options.Warmup}");
            await LoadAsync(client, target, options.Warmup, options.Concurrency);

            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var bytes0 = GC.GetTotalAllocatedBytes(precise: true);
            var cpu0 = Environment.CpuUsage.TotalTime;
            var gen0 = GC.CollectionCount(0);
            var clock = Stopwatch.StartNew();
            await LoadAsync(client, target, options.Requests, options.Concurrency);
            clock.Stop();
            var cpu1 = Environment.CpuUsage.TotalTime;
            var bytes1 = GC.GetTotalAllocatedBytes(precise: true);
            var bytesPerRequest = (double)(bytes1 - bytes0) / options.Requests;
            var cpuPerRequest = (cpu1 - cpu0).TotalMicroseconds / options.Requests;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{scenario.Key}] {bytesPerRequest:F0} B/req, {cpuPerRequest:F1} µs CPU/req, {options.Requests / clock.Elapsed.TotalSeconds:F0} req/s, {GC.CollectionCount(0) - gen0} gen0 GCs"));

            double? objectsPerRequest = null;
            if (options.Types > 0)
            {
                using var sampler = new AllocationSampler();
                await Task.Delay(500); // the EventPipe session takes a moment to start
                sampler.Reset();
                await LoadAsync(client, target, options.Requests, options.Concurrency);
                var (objects, sampledBytes, byType, samples, source) = sampler.Snapshot();
                if (samples > 0)
                {
                    objectsPerRequest = objects / options.Requests;
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"[{scenario.Key}] {source}: {samples} samples, est. {objectsPerRequest:F1} objects/req, {sampledBytes / options.Requests:F0} B/req; top types by bytes:"));
                    foreach (var (type, (count, size)) in byType.OrderByDescending(t => t.Value.Bytes).Take(options.Types))
                    {
                        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {size / options.Requests,8:F1} B/req {count / options.Requests,7:F2} obj/req  {type}"));
                    }
                }
                else
                {
                    Console.Error.WriteLine($"[{scenario.Key}] no allocation samples received");
                }
            }

            return new Result(scenario, bytesPerRequest, objectsPerRequest, cpuPerRequest);
        }
        finally
        {
            if (app is not null)
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await app.StopAsync(stop.Token);
                await app.DisposeAsync();
            }
        }
    }

    private static async Task CheckAsync(HttpMessageInvoker client, Uri target, Scenario scenario)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, target);
        using var response = await client.SendAsync(request, CancellationToken.None);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK || !body.Contains("\"owner\"", StringComparison.Ordinal)
            || (scenario.Path == "/merged" && !body.Contains("\"stock\"", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"{scenario.Key}: {target} answered {(int)response.StatusCode}: {body}");
        }
    }

    /// <summary>GETs <paramref name="target"/> <paramref name="count"/> times from <paramref name="concurrency"/> loops, each body read into a reused buffer.</summary>
    private static async Task LoadAsync(HttpMessageInvoker client, Uri target, int count, int concurrency)
    {
        var remaining = count;
        var loops = new Task[concurrency];
        for (var i = 0; i < loops.Length; i++)
        {
            loops[i] = Task.Run(async () =>
            {
                var buffer = new byte[4096];
                while (Interlocked.Decrement(ref remaining) >= 0)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, target);
                    using var response = await client.SendAsync(request, CancellationToken.None);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        throw new InvalidOperationException($"{target}: {(int)response.StatusCode}");
                    }

                    var stream = await response.Content.ReadAsStreamAsync();
                    while (await stream.ReadAsync(buffer) > 0)
                    {
                    }
                }
            });
        }

        await Task.WhenAll(loops);
    }
}

/// <summary>
/// The runtime's allocation samples (.NET 10 <c>AllocationSampled</c>, keyword 0x80000000000: each allocated byte is
/// sampled with probability 1/102400), turned into estimated object counts and bytes per type: an object of S bytes
/// is sampled with probability 1 − e^(−S/102400), so each sample stands for 1/that many objects.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const double MeanBytesBetweenSamples = 102400;
    private const EventKeywords AllocationSampling = (EventKeywords)0x80000000000;
    private readonly ConcurrentDictionary<string, (double Count, double Bytes)> _byType = new();
    private long _samples;
    private volatile bool _recording;

    public void Reset()
    {
        _byType.Clear();
        Interlocked.Exchange(ref _samples, 0);
        _recording = true;
    }

    public (double Objects, double Bytes, Dictionary<string, (double Count, double Bytes)> ByType, long Samples, string Source) Snapshot()
    {
        _recording = false;
        var byType = new Dictionary<string, (double Count, double Bytes)>(_byType);
        return (byType.Values.Sum(v => v.Count), byType.Values.Sum(v => v.Bytes), byType, Interlocked.Read(ref _samples), "AllocationSampled");
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Informational, AllocationSampling);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_recording || eventData.EventName != "AllocationSampled" || eventData.Payload is not { } payload || eventData.PayloadNames is not { } names)
        {
            return;
        }

        var type = payload[names.IndexOf("TypeName")] as string ?? "?";
        var size = Convert.ToDouble(payload[names.IndexOf("ObjectSize")], CultureInfo.InvariantCulture);
        var probability = 1 - Math.Exp(-size / MeanBytesBetweenSamples);
        var weight = probability > 0 ? 1 / probability : 0;
        _byType.AddOrUpdate(type, (weight, weight * size), (_, v) => (v.Count + weight, v.Bytes + (weight * size)));
        Interlocked.Increment(ref _samples);
    }
}

internal sealed class NoopSpanExporter : BaseExporter<Activity>
{
    public override ExportResult Export(in Batch<Activity> batch) => ExportResult.Success;
}

internal sealed class NoopMetricExporter : BaseExporter<Metric>
{
    public override ExportResult Export(in Batch<Metric> batch) => ExportResult.Success;
}
