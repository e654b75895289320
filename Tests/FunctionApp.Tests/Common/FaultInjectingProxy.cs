using System.IO.Compression;
using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Metrics.V1;

namespace FunctionApp.Tests.Common;

/// <summary>
/// Which faults a <see cref="FaultInjectingProxy"/> injects, per pushing instance (<c>service.instance.id</c>) and by
/// the ordinal of its push (1, 2, …), so the schedule does not depend on how the instances interleave.
/// </summary>
public sealed record FaultPlan
{
    /// <summary>Seeds the choice of companion (one seeded generator per instance, in order of first appearance).</summary>
    public int Seed { get; init; } = 20_240_605;

    /// <summary>Every n-th push of an instance is delivered twice: alternately to the same and to another companion.</summary>
    public int DuplicateEvery { get; init; } = 4;

    /// <summary>Every n-th push of an instance (offset by one from the duplicates) is held and delivered after the next one.</summary>
    public int HoldEvery { get; init; } = 5;
}

/// <summary>What a <see cref="FaultInjectingProxy"/> did.</summary>
/// <param name="Received">Pushes received from the instances.</param>
/// <param name="Delivered">Copies a companion answered with 2xx, per companion.</param>
/// <param name="Duplicated">Second copies a companion answered with 2xx.</param>
/// <param name="DuplicatedToOtherCompanion">Of those, the ones delivered to a companion other than the first copy's.</param>
/// <param name="Reordered">Held pushes delivered after a newer push of the same instance to the same companion.</param>
/// <param name="Lost">Copies that could not be delivered (companion down) or that the companion refused.</param>
public sealed record FaultCounts(int Received, IReadOnlyList<int> Delivered, int Duplicated, int DuplicatedToOtherCompanion, int Reordered, int Lost)
{
    public override string ToString() =>
        $"received {Received}, delivered {string.Join("/", Delivered)}, duplicated {Duplicated} ({DuplicatedToOtherCompanion} to another companion), reordered {Reordered}, lost {Lost}";
}

/// <summary>
/// A loopback HTTP proxy between pushing gateways and the companions: it forwards OTLP/HTTP pushes
/// (<c>POST /v1/metrics</c>) to one of several companions (seeded random choice) and injects the faults of a real
/// network and load balancer (<see cref="FaultPlan"/>): duplicated deliveries (a retry, possibly to another
/// companion), held pushes that arrive after a newer one of the same instance (out of order), and pushes lost while a
/// companion is down (answered 502, which the OTLP exporter does not retry). A held push is answered 200 at once, so the
/// gateway moves on. Pushes are handled one at a time, so "after" is well defined.
/// </summary>
public sealed class FaultInjectingProxy : IAsyncDisposable
{
    private const string IngestPath = "/v1/metrics";

    private readonly WebApplication _app;
    private readonly Uri[] _companions;
    private readonly FaultPlan _plan;
    private readonly HttpClient _client = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(2) })
    {
        Timeout = TimeSpan.FromSeconds(15),
    };

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, InstanceState> _instances = new(StringComparer.Ordinal);
    private readonly int[] _delivered;
    private int _received;
    private int _duplicated;
    private int _duplicatedToOther;
    private int _reordered;
    private int _lost;

    private FaultInjectingProxy(IReadOnlyList<Uri> companions, FaultPlan plan)
    {
        _companions = [.. companions];
        _plan = plan;
        _delivered = new int[_companions.Length];
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.Limits.MaxRequestBodySize = null;
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
    }

    /// <summary>The URL the gateways push to (their <c>METRICS_COMPANION_URL</c>).</summary>
    public string IngestUrl => _app.Urls.First() + IngestPath;

    /// <summary>What the proxy did so far (read without waiting for a push in progress).</summary>
    public FaultCounts Counts => new(
        Volatile.Read(ref _received),
        [.. _delivered.Select((_, i) => Volatile.Read(ref _delivered[i]))],
        Volatile.Read(ref _duplicated),
        Volatile.Read(ref _duplicatedToOther),
        Volatile.Read(ref _reordered),
        Volatile.Read(ref _lost));

    /// <param name="companions">The companions' base URLs (<c>http://127.0.0.1:port</c>).</param>
    /// <param name="plan">The faults; null: the defaults.</param>
    public static async Task<FaultInjectingProxy> StartAsync(IReadOnlyList<Uri> companions, FaultPlan? plan = null)
    {
        ArgumentNullException.ThrowIfNull(companions);
        if (companions.Count == 0)
        {
            throw new ArgumentException("at least one companion", nameof(companions));
        }

        var proxy = new FaultInjectingProxy(companions, plan ?? new FaultPlan());
        await proxy._app.StartAsync();
        return proxy;
    }

    /// <summary>Delivers every push still held (an instance that pushed no more after it), to its chosen companion.</summary>
    public async Task ReleaseHeldAsync()
    {
        await _gate.WaitAsync();
        try
        {
            foreach (var state in _instances.Values)
            {
                if (state.Held is { } held)
                {
                    state.Held = null;
                    await DeliverAsync(held, held.Target);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Path.Value != IngestPath || !HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var push = await ReadPushAsync(context.Request);
        await _gate.WaitAsync();
        Delivery answer;
        try
        {
            answer = await RouteAsync(push);
        }
        finally
        {
            _gate.Release();
        }

        context.Response.StatusCode = answer.Status;
        if (answer.ContentType is not null)
        {
            context.Response.ContentType = answer.ContentType;
        }

        await context.Response.Body.WriteAsync(answer.Body);
    }

    /// <summary>Decides, under the gate, what happens to one push, and returns what the gateway is answered.</summary>
    private async Task<Delivery> RouteAsync(Push push)
    {
        _received++;
        if (!_instances.TryGetValue(push.InstanceId, out var state))
        {
            state = new InstanceState(new Random(unchecked((_plan.Seed * 31) + _instances.Count)));
            _instances.Add(push.InstanceId, state);
        }

        var ordinal = ++state.Pushes;
        var target = state.Random.Next(_companions.Length);
        if (state.Held is null && ordinal % _plan.HoldEvery == 2 % _plan.HoldEvery)
        {
            // Held: the gateway hears "accepted" now; the push arrives after the instance's next one.
            state.Held = push with { Target = target };
            return Delivery.Accepted;
        }

        var answer = await DeliverAsync(push, target);
        if (ordinal % _plan.DuplicateEvery == 1 % _plan.DuplicateEvery)
        {
            // A retry of a push that did arrive: to the same companion, or (every other time) to another one.
            var toOther = _companions.Length > 1 && ++state.Duplicates % 2 == 0;
            var second = toOther ? (target + 1) % _companions.Length : target;
            if ((await DeliverAsync(push, second)).IsSuccess)
            {
                _duplicated++;
                _duplicatedToOther += toOther ? 1 : 0;
            }
        }

        if (state.Held is { } held)
        {
            state.Held = null;
            var late = await DeliverAsync(held, target);
            if (late.IsSuccess && answer.IsSuccess && held.NewestPointNanos < push.NewestPointNanos)
            {
                _reordered++;
            }
        }

        return answer;
    }

    private async Task<Delivery> DeliverAsync(Push push, int target)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_companions[target], IngestPath));
        request.Content = new ByteArrayContent(push.Body);
        request.Content.Headers.TryAddWithoutValidation("Content-Type", push.ContentType);
        if (push.ContentEncoding is { Length: > 0 } encoding)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Encoding", encoding);
        }

        if (push.FunctionKey is { Length: > 0 } key)
        {
            request.Headers.TryAddWithoutValidation("x-functions-key", key);
        }

        try
        {
            using var response = await _client.SendAsync(request);
            var body = await response.Content.ReadAsByteArrayAsync();
            var delivery = new Delivery((int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), body);
            if (delivery.IsSuccess)
            {
                _delivered[target]++;
            }
            else
            {
                _lost++;
            }

            return delivery;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            _lost++;
            return Delivery.BadGateway;
        }
    }

    private static async Task<Push> ReadPushAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var encoding = request.Headers.ContentEncoding.ToString();
        var instanceId = "";
        var newest = 0UL;
        try
        {
            var decoded = ExportMetricsServiceRequest.Parser.ParseFrom(encoding.Contains("gzip", StringComparison.OrdinalIgnoreCase) ? Gunzip(body) : body);
            foreach (var resource in decoded.ResourceMetrics)
            {
                instanceId = resource.Resource?.Attributes.FirstOrDefault(a => a.Key == "service.instance.id")?.Value?.StringValue ?? instanceId;
                foreach (var metric in resource.ScopeMetrics.SelectMany(s => s.Metrics))
                {
                    var times = metric.Sum?.DataPoints.Select(p => p.TimeUnixNano)
                        ?? metric.Histogram?.DataPoints.Select(p => p.TimeUnixNano)
                        ?? metric.Gauge?.DataPoints.Select(p => p.TimeUnixNano)
                        ?? [];
                    newest = Math.Max(newest, times.DefaultIfEmpty(0UL).Max());
                }
            }
        }
        catch (InvalidProtocolBufferException)
        {
            // Not OTLP protobuf (e.g. JSON): forwarded as is, without a known instance.
        }

        return new Push(body, request.ContentType ?? "application/x-protobuf", encoding, request.Headers["x-functions-key"].ToString(), instanceId, newest, Target: 0);
    }

    private static byte[] Gunzip(byte[] body)
    {
        using var input = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stop.Token);
        }

        await _app.DisposeAsync();
        _client.Dispose();
        _gate.Dispose();
    }

    private sealed record Push(byte[] Body, string ContentType, string ContentEncoding, string FunctionKey, string InstanceId, ulong NewestPointNanos, int Target);

    private sealed class InstanceState(Random random)
    {
        public Random Random { get; } = random;

        public int Pushes { get; set; }

        public int Duplicates { get; set; }

        public Push? Held { get; set; }
    }

    private sealed record Delivery(int Status, string? ContentType, byte[] Body)
    {
        /// <summary>What the proxy answers for a push it holds: an empty <c>ExportMetricsServiceResponse</c>.</summary>
        public static Delivery Accepted { get; } = new(StatusCodes.Status200OK, "application/x-protobuf", []);

        public static Delivery BadGateway { get; } = new(StatusCodes.Status502BadGateway, "text/plain", "companion unreachable"u8.ToArray());

        public bool IsSuccess => Status is >= 200 and < 300;
    }
}
