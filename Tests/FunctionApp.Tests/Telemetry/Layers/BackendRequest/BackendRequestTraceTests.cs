using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using OpenTelemetry.Trace;
using Telemetry.Configuration;
using Telemetry.Layers.BackendRequest;

namespace FunctionApp.Tests.Telemetry.Layers.BackendRequest;

public sealed class BackendRequestTraceTests
{
    private const string ReadSpanName = "http.client.response.read.tracker";

    private static BackendLayerOptions TracesOnly(
        bool roundTrip = true,
        bool readPayload = true,
        bool detailed = false,
        bool reportHeaders = false,
        string[]? skipHeaders = null,
        params TelemetryAttribute[] staticAttributes) => new()
        {
            Metrics = new BackendMetricsOptions(),
            Traces = new BackendTracesOptions
            {
                RoundTrip = roundTrip,
                ReadPayload = readPayload,
                DetailedConnection = detailed,
                ReportHeaders = reportHeaders,
                SkipHeaders = skipHeaders ?? [],
                StaticAttributes = staticAttributes,
            },
        };

    private static object? Tag(Activity span, string key) => span.TagObjects.SingleOrDefault(t => t.Key == key).Value;

    [Fact]
    public async Task ClientSpan_Success_CarriesKrakenDAttributesUnderTheStageSpan()
    {
        using var capture = new TelemetryCapture(metrics: false);
        var telemetry = capture.Create(TracesOnly(readPayload: false, staticAttributes: new TelemetryAttribute("team", "payments")));
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("foo bar"));
        using var invoker = backend.CreateInvoker();
        var request = new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1?full=true"));
        request.Headers.TryAddWithoutValidation("User-Agent", "KrakenD Version 2.9");

        using (var stage = capture.StartStageSpan())
        {
            using var response = await telemetry.SendAsync(invoker, request, CancellationToken.None);
            Assert.Same(stage, Activity.Current);
        }

        var client = Assert.Single(capture.Spans, s => s.Kind == ActivityKind.Client);
        var stageSpan = Assert.Single(capture.Spans, s => s.DisplayName == "backend-stage");
        Assert.Equal("/users/:id", client.DisplayName);
        Assert.Equal(stageSpan.SpanId, client.ParentSpanId);
        Assert.Equal(stageSpan.TraceId, client.TraceId);
        Assert.Equal(ActivityStatusCode.Ok, client.Status);
        Assert.Equal(backend.Url("/users/1?full=true").AbsoluteUri, Tag(client, "url.full"));
        Assert.Equal($"127.0.0.1:{backend.Port}", Tag(client, "server.address"));
        Assert.Equal("GET", Tag(client, "http.request.method"));
        Assert.Equal(0L, Tag(client, "http.request.body.size"));
        Assert.Equal("KrakenD Version 2.9", Tag(client, "user_agent.original"));
        Assert.Equal("backend-request", Tag(client, "krakend.stage"));
        Assert.Equal("/users/:id", Tag(client, "http.route"));
        Assert.Equal("/api/users/:id", Tag(client, "krakend.endpoint.route"));
        Assert.Equal("GET", Tag(client, "krakend.endpoint.method"));
        Assert.Equal("payments", Tag(client, "team"));
        Assert.Equal(200, Tag(client, "http.response.status_code"));
        Assert.Equal(7L, Tag(client, "http.response.body.size"));
        Assert.IsType<double>(Tag(client, "response-duration"));
        Assert.Null(Tag(client, "get-conn-duration"));
        Assert.Empty(client.Events);
    }

    [Fact]
    public async Task ClientSpan_ServerError_IsStillOk()
    {
        using var capture = new TelemetryCapture(metrics: false);
        var telemetry = capture.Create(TracesOnly(readPayload: false));
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("boom", 503));
        using var invoker = backend.CreateInvoker();

        using (var response = await telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")), CancellationToken.None))
        {
            Assert.Equal(503, (int)response.StatusCode);
        }

        var client = Assert.Single(capture.Spans);
        Assert.Equal(ActivityStatusCode.Ok, client.Status);
        Assert.Equal(503, Tag(client, "http.response.status_code"));
    }

    [Fact]
    public async Task ClientSpan_ConnectionRefused_IsErrorWithExceptionEvent()
    {
        using var capture = new TelemetryCapture(metrics: false);
        var telemetry = capture.Create(TracesOnly());
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false });

        await Assert.ThrowsAsync<HttpRequestException>(() =>
            telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{LoopbackBackend.UnusedPort()}/users/1"), CancellationToken.None));

        var client = Assert.Single(capture.Spans);
        Assert.Equal(ActivityStatusCode.Error, client.Status);
        Assert.False(string.IsNullOrEmpty(client.StatusDescription));
        var exception = Assert.Single(client.Events);
        Assert.Equal("exception", exception.Name);
        Assert.Contains(exception.Tags, t => t.Key == "exception.type" && (string?)t.Value == typeof(HttpRequestException).FullName);
        Assert.Null(Tag(client, "http.response.status_code"));
    }

    [Fact]
    public async Task ClientSpan_ChunkedResponse_HasNoResponseBodySize()
    {
        using var capture = new TelemetryCapture(metrics: false);
        var telemetry = capture.Create(TracesOnly(readPayload: false));
        await using var backend = await LoopbackBackend.StartAsync(async context => await context.Response.WriteAsync("chunked"));
        using var invoker = backend.CreateInvoker();

        using (var response = await telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")), CancellationToken.None))
        {
            Assert.Null(response.Content.Headers.ContentLength);
        }

        var client = Assert.Single(capture.Spans);
        Assert.Null(Tag(client, "http.response.body.size"));
        Assert.Equal(200, Tag(client, "http.response.status_code"));
    }

    [Fact]
    public async Task ClientSpan_DetailedConnection_AddsPhaseDurationsAndFirstByteEvent()
    {
        using var capture = new TelemetryCapture(metrics: false);
        var telemetry = capture.Create(TracesOnly(readPayload: false, detailed: true));
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("foo bar"));
        using var invoker = backend.CreateInvoker();

        using (await telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")), CancellationToken.None))
        {
        }

        var client = Assert.Single(capture.Spans);
        Assert.IsType<double>(Tag(client, "get-conn-duration"));
        Assert.Equal(0d, Tag(client, "dns-duration"));
        Assert.Equal(0d, Tag(client, "tls-duration"));
        var firstByte = Assert.Single(client.Events);
        Assert.Equal("first-byte-time", firstByte.Name);
        Assert.InRange(firstByte.Timestamp.UtcDateTime, client.StartTimeUtc, client.StartTimeUtc + client.Duration);
    }

    [Fact]
    public async Task ReadSpan_BodyRead_IsChildOfClientSpanInTheSameTrace()
    {
        using var capture = new TelemetryCapture(metrics: false);
        var telemetry = capture.Create(TracesOnly(staticAttributes: new TelemetryAttribute("team", "payments")));
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("foo bar"));
        using var invoker = backend.CreateInvoker();

        using (var stage = capture.StartStageSpan())
        {
            using var response = await telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")), CancellationToken.None);
            Assert.Equal("foo bar", await response.Content.ReadAsStringAsync());
            Assert.Same(stage, Activity.Current);
        }

        Assert.Equal(3, capture.Spans.Count);
        var client = Assert.Single(capture.Spans, s => s.Kind == ActivityKind.Client);
        var read = Assert.Single(capture.Spans, s => s.DisplayName == ReadSpanName);
        Assert.Equal(ActivityKind.Internal, read.Kind);
        Assert.Equal(client.TraceId, read.TraceId);
        Assert.Equal(client.SpanId, read.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Ok, read.Status);
        Assert.Equal(
            ["http.client.response.read.size", "http.client.response.read.time", "http.request.method", "http.route", "krakend.endpoint.method", "krakend.endpoint.route", "krakend.stage", "team"],
            read.TagObjects.Select(t => t.Key).Order(StringComparer.Ordinal));
        Assert.Equal(7L, Tag(read, "http.client.response.read.size"));
        Assert.IsType<double>(Tag(read, "http.client.response.read.time"));
        Assert.Equal("backend-request", Tag(read, "krakend.stage"));
    }

    [Fact]
    public async Task ReadSpan_ClientSpanOff_IsChildOfTheStageSpan()
    {
        using var capture = new TelemetryCapture(metrics: false);
        var telemetry = capture.Create(TracesOnly(roundTrip: false, readPayload: true));
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("foo bar"));
        using var invoker = backend.CreateInvoker();

        using (capture.StartStageSpan())
        {
            using var response = await telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")), CancellationToken.None);
            await response.Content.ReadAsStringAsync();
        }

        Assert.DoesNotContain(capture.Spans, s => s.Kind == ActivityKind.Client);
        var stage = Assert.Single(capture.Spans, s => s.DisplayName == "backend-stage");
        var read = Assert.Single(capture.Spans, s => s.DisplayName == ReadSpanName);
        Assert.Equal(stage.SpanId, read.ParentSpanId);
    }

    [Fact]
    public async Task ReadSpan_BodyNeverRead_NoSpanAndMetricsOfZero()
    {
        using var capture = new TelemetryCapture();
        var telemetry = capture.Create(new BackendLayerOptions
        {
            Metrics = new BackendMetricsOptions { ReadPayload = true },
            Traces = new BackendTracesOptions { ReadPayload = true },
        });
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("foo bar"));
        using var invoker = backend.CreateInvoker();

        var response = await telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")), CancellationToken.None);
        response.Dispose();

        Assert.Empty(capture.Spans);
        var metrics = capture.Metrics();
        Assert.Equal(0, TelemetryCapture.SinglePoint(metrics, "http.client.response.read.size").GetSumLong());
        Assert.Equal(0d, TelemetryCapture.SinglePoint(metrics, "http.client.response.read.time").GetSumDouble());
        Assert.Equal(0d, TelemetryCapture.SinglePoint(metrics, "http.client.response.read.time-hist").GetHistogramSum());
        Assert.Equal(1, TelemetryCapture.SinglePoint(metrics, "http.client.response.read.time-hist").GetHistogramCount());
    }

    [Fact]
    public async Task ReadTracking_ReadError_MarksSpanErrorAndMetricsWithErrorAttribute()
    {
        using var capture = new TelemetryCapture();
        var telemetry = capture.Create(TracesOnly(roundTrip: false) with { Metrics = new BackendMetricsOptions { ReadPayload = true } });
        var abort = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await LoopbackBackend.StartAsync(async context =>
        {
            context.Response.ContentLength = 100;
            await context.Response.WriteAsync("0123456789");
            await context.Response.Body.FlushAsync();
            await abort.Task;
            context.Abort();
        });
        using var invoker = backend.CreateInvoker();

        using (var response = await telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")), CancellationToken.None))
        {
            await using var stream = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[100];
            Assert.True(await stream.ReadAsync(buffer) > 0);
            abort.SetResult();
            await Assert.ThrowsAnyAsync<IOException>(async () =>
            {
                while (await stream.ReadAsync(buffer) > 0)
                {
                }
            });
        }

        var read = Assert.Single(capture.Spans);
        Assert.Equal(ActivityStatusCode.Error, read.Status);
        Assert.Equal("exception", Assert.Single(read.Events).Name);
        var size = TelemetryCapture.SinglePoint(capture.Metrics(), "http.client.response.read.size");
        Assert.Equal("true", TelemetryCapture.Tags(size)["error"]);
        Assert.Equal(10, size.GetSumLong());
    }

    [Fact]
    public async Task ReadTracking_StreamCopiedAsThePassThroughPathDoes_CountsEveryByteOnce()
    {
        using var capture = new TelemetryCapture();
        var telemetry = capture.Create(BackendLayerOptions.Default);
        var body = new byte[200_000];
        Random.Shared.NextBytes(body);
        await using var backend = await LoopbackBackend.StartAsync(async context => await context.Response.Body.WriteAsync(body));
        using var invoker = backend.CreateInvoker();

        using (var response = await telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")), CancellationToken.None))
        {
            var copy = new MemoryStream();
            await using (var stream = await response.Content.ReadAsStreamAsync())
            {
                await stream.CopyToAsync(copy);
            }

            Assert.Equal(body, copy.ToArray());
        }

        Assert.Equal(200_000L, Tag(Assert.Single(capture.Spans, s => s.DisplayName == ReadSpanName), "http.client.response.read.size"));
        var metrics = capture.Metrics();
        Assert.Equal(200_000, TelemetryCapture.SinglePoint(metrics, "http.client.response.read.size").GetSumLong());
        Assert.Equal(1, TelemetryCapture.SinglePoint(metrics, "http.client.response.read.size-hist").GetHistogramCount());
    }

    [Fact]
    public async Task ReadTracking_JsonDecodedFromTheStream_RecordsTheBodySize()
    {
        using var capture = new TelemetryCapture(traces: false);
        var telemetry = capture.Create(BackendLayerOptions.Default);
        const string json = """{"id":1,"name":"ada"}""";
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond(json));
        using var invoker = backend.CreateInvoker();

        using (var response = await telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")), CancellationToken.None))
        {
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType ?? "application/json");
            Assert.Equal(json.Length, response.Content.Headers.ContentLength);
            await using var stream = await response.Content.ReadAsStreamAsync();
            using var document = await JsonDocument.ParseAsync(stream);
            Assert.Equal("ada", document.RootElement.GetProperty("name").GetString());
        }

        Assert.Equal(json.Length, TelemetryCapture.SinglePoint(capture.Metrics(), "http.client.response.read.size").GetSumLong());
    }

    [Fact]
    public async Task ReportHeaders_Enabled_ReportsHeadersBeforeInjectionWithSecretsRedacted()
    {
        using var capture = new TelemetryCapture(metrics: false);
        var telemetry = capture.Create(TracesOnly(readPayload: false, reportHeaders: true, skipHeaders: ["x-skip-me"]));
        await using var backend = await LoopbackBackend.StartAsync(async context =>
        {
            context.Response.Headers["Set-Cookie"] = "session=secret";
            context.Response.Headers["X-Backend"] = "b1";
            context.Response.ContentLength = 2;
            await context.Response.WriteAsync("ok");
        });
        using var invoker = backend.CreateInvoker();
        var request = new HttpRequestMessage(HttpMethod.Post, backend.Url("/users")) { Content = new StringContent("{}", null, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer secret");
        request.Headers.TryAddWithoutValidation("X-Custom", ["a", "b"]);
        request.Headers.TryAddWithoutValidation("X-Skip-Me", "hidden");

        using (capture.StartStageSpan())
        {
            using var response = await telemetry.SendAsync(invoker, request, CancellationToken.None);
        }

        var client = Assert.Single(capture.Spans, s => s.Kind == ActivityKind.Client);
        Assert.Equal(["[REDACTED]"], (string[])Tag(client, "http.request.header.authorization")!);
        Assert.Equal(["a", "b"], (string[])Tag(client, "http.request.header.x-custom")!);
        Assert.Equal(["application/json; charset=utf-8"], (string[])Tag(client, "http.request.header.content-type")!);
        Assert.Null(Tag(client, "http.request.header.x-skip-me"));
        Assert.Null(Tag(client, "http.request.header.traceparent"));
        Assert.Equal(["[REDACTED]"], (string[])Tag(client, "http.response.header.set-cookie")!);
        Assert.Equal(["b1"], (string[])Tag(client, "http.response.header.x-backend")!);
        Assert.Equal(["2"], (string[])Tag(client, "http.response.header.content-length")!);
        Assert.True(request.Headers.Contains("traceparent"));
    }

    [Fact]
    public async Task Inject_RecordingClientSpan_BackendReceivesTheClientSpanContextAndBaggage()
    {
        using var capture = new TelemetryCapture(metrics: false);
        var telemetry = capture.Create(TracesOnly(readPayload: false));
        var received = new TaskCompletionSource<(string? TraceParent, string? Baggage)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await LoopbackBackend.StartAsync(async context =>
        {
            received.TrySetResult((context.Request.Headers.TraceParent, context.Request.Headers.Baggage));
            await context.Response.WriteAsync("ok");
        });
        using var invoker = backend.CreateInvoker();

        using (capture.StartStageSpan())
        {
            Baggage.SetBaggage("tenant", "acme");
            using var response = await telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")), CancellationToken.None);
        }

        var client = Assert.Single(capture.Spans, s => s.Kind == ActivityKind.Client);
        var (traceParent, baggage) = await received.Task;
        Assert.Equal($"00-{client.TraceId}-{client.SpanId}-01", traceParent);
        Assert.Equal("tenant=acme", baggage);
    }

    [Fact]
    public async Task Inject_ClientSpanOff_BackendReceivesTheCurrentContext()
    {
        using var capture = new TelemetryCapture();
        var telemetry = capture.Create(new BackendLayerOptions
        {
            Metrics = new BackendMetricsOptions { RoundTrip = true },
            Traces = new BackendTracesOptions(),
        });
        var received = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await LoopbackBackend.StartAsync(async context =>
        {
            received.TrySetResult(context.Request.Headers.TraceParent);
            await context.Response.WriteAsync("ok");
        });
        using var invoker = backend.CreateInvoker();

        using (var stage = capture.StartStageSpan())
        {
            using var response = await telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")), CancellationToken.None);
            Assert.Equal($"00-{stage.TraceId}-{stage.SpanId}-01", await received.Task);
        }

        Assert.Single(capture.Spans);
    }

    [Fact]
    public async Task Inject_SampledOut_StillPropagatesTheUnsampledContext()
    {
        using var capture = new TelemetryCapture(metrics: false, sampler: new AlwaysOffSampler());
        var telemetry = capture.Create(TracesOnly());
        var received = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await LoopbackBackend.StartAsync(async context =>
        {
            received.TrySetResult(context.Request.Headers.TraceParent);
            await context.Response.WriteAsync("ok");
        });
        using var invoker = backend.CreateInvoker();

        using (var stage = capture.StartStageSpan())
        {
            using var response = await telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")), CancellationToken.None);
            await response.Content.ReadAsStringAsync();
            var traceParent = await received.Task;
            Assert.NotNull(traceParent);
            Assert.StartsWith($"00-{stage.TraceId}-", traceParent, StringComparison.Ordinal);
            Assert.EndsWith("-00", traceParent, StringComparison.Ordinal);
        }

        Assert.Empty(capture.Spans);
    }

    [Fact]
    public async Task Inject_ForwardedTraceHeaders_AreReplacedByTheGatewaysContext()
    {
        using var capture = new TelemetryCapture(metrics: false);
        var telemetry = capture.Create(TracesOnly(readPayload: false));
        var received = new TaskCompletionSource<(string? TraceParent, string? TraceState)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await LoopbackBackend.StartAsync(async context =>
        {
            received.TrySetResult((context.Request.Headers.TraceParent, context.Request.Headers.TraceState));
            await context.Response.WriteAsync("ok");
        });
        using var invoker = backend.CreateInvoker();
        var request = new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1"));
        request.Headers.TryAddWithoutValidation("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        request.Headers.TryAddWithoutValidation("tracestate", "vendor=stale");

        using (capture.StartStageSpan())
        {
            using var response = await telemetry.SendAsync(invoker, request, CancellationToken.None);
        }

        var client = Assert.Single(capture.Spans, s => s.Kind == ActivityKind.Client);
        var (traceParent, traceState) = await received.Task;
        Assert.Equal($"00-{client.TraceId}-{client.SpanId}-01", traceParent);
        Assert.Null(traceState);
    }

    [Fact]
    public async Task Inject_NoTraceContext_LeavesForwardedHeadersUntouched()
    {
        using var capture = new TelemetryCapture(traces: false);
        var telemetry = capture.Create(TracesOnly(roundTrip: false, readPayload: false) with { Metrics = new BackendMetricsOptions { RoundTrip = true } });
        var received = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await LoopbackBackend.StartAsync(async context =>
        {
            received.TrySetResult(context.Request.Headers.TraceParent);
            await context.Response.WriteAsync("ok");
        });
        using var invoker = backend.CreateInvoker();
        var request = new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1"));
        const string forwarded = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        request.Headers.TryAddWithoutValidation("traceparent", forwarded);

        Assert.Null(Activity.Current);
        using (var response = await telemetry.SendAsync(invoker, request, CancellationToken.None))
        {
            Assert.Equal(forwarded, await received.Task);
        }
    }

    [Fact]
    public void Create_NothingToRecordAndNothingToInject_ReturnsNull()
    {
        using var capture = new TelemetryCapture();
        var nothing = new BackendLayerOptions
        {
            Metrics = new BackendMetricsOptions { DetailedConnection = true, DisableStage = true },
            Traces = new BackendTracesOptions { DetailedConnection = true, ReportHeaders = true },
        };

        Assert.Null(BackendRequestTelemetry.Create(capture.Sources, nothing, TelemetryCapture.Identity, false, new CompositeTextMapPropagator([])));
        Assert.NotNull(BackendRequestTelemetry.Create(capture.Sources, nothing, TelemetryCapture.Identity, false, TelemetryCapture.Propagator));
        Assert.NotNull(BackendRequestTelemetry.Create(capture.Sources, BackendLayerOptions.Default, TelemetryCapture.Identity, false, new CompositeTextMapPropagator([])));
    }

    /// <summary>§4.7 for traces, with round_trip: false meaning what it says (Q4).</summary>
    [Theory]
    [InlineData(true, true, "/users/:id," + ReadSpanName)]
    [InlineData(true, false, "/users/:id")]
    [InlineData(false, true, ReadSpanName)]
    [InlineData(false, false, "")]
    public async Task FlagMatrix_TracesOptions_StartExactlyTheirSpans(bool roundTrip, bool readPayload, string expectedSpans)
    {
        using var capture = new TelemetryCapture(metrics: false);
        var telemetry = capture.Create(TracesOnly(roundTrip, readPayload));
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("foo bar"));
        using var invoker = backend.CreateInvoker();

        using (var response = await telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")), CancellationToken.None))
        {
            await response.Content.ReadAsStringAsync();
        }

        Assert.Equal(
            expectedSpans.Split(',', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal),
            capture.Spans.Select(s => s.DisplayName).Order(StringComparer.Ordinal));
    }
}
