using System.Text;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Metrics;
using Telemetry.Configuration;
using Telemetry.Layers.BackendRequest;
using static FunctionApp.Tests.Telemetry.Layers.BackendRequest.TelemetryCapture;

namespace FunctionApp.Tests.Telemetry.Layers.BackendRequest;

public sealed class BackendRequestMetricsTests
{
    private static readonly string[] ReadSet =
    [
        "http.client.response.read.size", "http.client.response.read.size-hist",
        "http.client.response.read.time", "http.client.response.read.time-hist",
    ];

    private static readonly string[] LegacyRoundTripSet =
    [
        "http.client.request.started.count", "http.client.request.size", "http.client.duration", "http.client.response.size",
    ];

    private static readonly string[] LegacyDetailedSet =
    [
        "http.client.request.get-conn.duration", "http.client.request.dns.duration", "http.client.request.tls.duration",
    ];

    private static BackendLayerOptions MetricsOnly(bool roundTrip, bool readPayload, bool detailed = false, bool disableStage = false, params TelemetryAttribute[] staticAttributes) => new()
    {
        Metrics = new BackendMetricsOptions
        {
            RoundTrip = roundTrip,
            ReadPayload = readPayload,
            DetailedConnection = detailed,
            DisableStage = disableStage,
            StaticAttributes = staticAttributes,
        },
        Traces = new BackendTracesOptions(),
    };

    private static async Task<string> SendAndReadAsync(BackendRequestTelemetry telemetry, HttpMessageInvoker invoker, HttpRequestMessage request)
    {
        using var response = await telemetry.SendAsync(invoker, request, CancellationToken.None);
        return await response.Content.ReadAsStringAsync();
    }

    private static void AssertNames(IEnumerable<string> expected, List<MetricSnapshot> metrics) =>
        Assert.Equal(expected.Order(StringComparer.Ordinal), metrics.Select(m => m.Name).Order(StringComparer.Ordinal));

    [Fact]
    public async Task RoundTrip_LegacyNaming_ExportsExactlyKrakenDsMetricSetAndAttributes()
    {
        using var capture = new TelemetryCapture(traces: false);
        var telemetry = capture.Create(MetricsOnly(roundTrip: true, readPayload: true));
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("foo bar"));
        using var invoker = backend.CreateInvoker();

        Assert.Equal("foo bar", await SendAndReadAsync(telemetry, invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1"))));

        var metrics = capture.Metrics();
        AssertNames([.. LegacyRoundTripSet, .. ReadSet], metrics);
        var started = SinglePoint(metrics, "http.client.request.started.count");
        Assert.Equal(1, started.GetSumLong());
        Assert.Equal(
            new Dictionary<string, object?>
            {
                ["http.request.method"] = "GET",
                ["http.route"] = "/users/:id",
                ["krakend.endpoint.route"] = "/api/users/:id",
                ["krakend.endpoint.method"] = "GET",
                ["clientname"] = "/users/:id",
                ["server.address"] = "127.0.0.1",
                ["server.port"] = backend.Port,
                ["http.response.status_code"] = 200,
            },
            Tags(started));
        Assert.Equal(0, SinglePoint(metrics, "http.client.request.size").GetSumLong());
        var responseSize = SinglePoint(metrics, "http.client.response.size");
        Assert.Equal(1, responseSize.GetHistogramCount());
        Assert.Equal(7, responseSize.GetHistogramSum());
        Assert.Equal(1, SinglePoint(metrics, "http.client.duration").GetHistogramCount());
        Assert.All(metrics.Where(m => !m.Name.StartsWith(ReadInstruments.Prefix, StringComparison.Ordinal)), m => Assert.True(string.IsNullOrEmpty(m.Unit), m.Name));

        var readSize = SinglePoint(metrics, "http.client.response.read.size");
        Assert.Equal(7, readSize.GetSumLong());
        Assert.Equal(
            new Dictionary<string, object?>
            {
                ["http.request.method"] = "GET",
                ["http.route"] = "/users/:id",
                ["krakend.endpoint.route"] = "/api/users/:id",
                ["krakend.endpoint.method"] = "GET",
            },
            Tags(readSize));
        Assert.Equal("b", Find(metrics, "http.client.response.read.size").Unit);
        Assert.Equal("b", Find(metrics, "http.client.response.read.size-hist").Unit);
        Assert.Equal("s", Find(metrics, "http.client.response.read.time").Unit);
        Assert.Equal("s", Find(metrics, "http.client.response.read.time-hist").Unit);
        Assert.Equal(7, SinglePoint(metrics, "http.client.response.read.size-hist").GetHistogramSum());
        Assert.Equal(1, SinglePoint(metrics, "http.client.response.read.time-hist").GetHistogramCount());
        Assert.True(SinglePoint(metrics, "http.client.response.read.time").GetSumDouble() >= 0);
    }

    [Fact]
    public async Task RoundTrip_LegacyWithDetailedConnection_AddsUnitlessConnectionHistograms()
    {
        using var capture = new TelemetryCapture(traces: false);
        var telemetry = capture.Create(MetricsOnly(roundTrip: true, readPayload: false, detailed: true));
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("foo bar"));
        using var invoker = backend.CreateInvoker();

        await SendAndReadAsync(telemetry, invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")));

        var metrics = capture.Metrics();
        AssertNames([.. LegacyRoundTripSet, .. LegacyDetailedSet], metrics);
        foreach (var name in LegacyDetailedSet)
        {
            Assert.True(string.IsNullOrEmpty(Find(metrics, name).Unit));
            Assert.Equal(1, SinglePoint(metrics, name).GetHistogramCount());
        }

        // Plain HTTP to an IP literal: no lookup and no handshake happened.
        Assert.Equal(0, SinglePoint(metrics, "http.client.request.dns.duration").GetHistogramSum());
        Assert.Equal(0, SinglePoint(metrics, "http.client.request.tls.duration").GetHistogramSum());
    }

    [Fact]
    public async Task RoundTrip_SemanticConvention127_UsesNewNamesUnitsAndNoCounters()
    {
        using var capture = new TelemetryCapture(traces: false);
        var telemetry = capture.Create(MetricsOnly(roundTrip: true, readPayload: false), semanticConvention127: true);
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("foo bar"));
        using var invoker = backend.CreateInvoker();

        await SendAndReadAsync(telemetry, invoker, new HttpRequestMessage(HttpMethod.Post, backend.Url("/users")) { Content = new StringContent("hello") });

        var metrics = capture.Metrics();
        AssertNames(["http.client.request.body.size", "http.client.request.duration", "http.client.response.body.size"], metrics);
        var duration = Find(metrics, "http.client.request.duration");
        Assert.Equal(("s", "Duration of HTTP client requests."), (duration.Unit, duration.Description));
        var requestBody = Find(metrics, "http.client.request.body.size");
        Assert.Equal(("By", "Size of HTTP client request bodies."), (requestBody.Unit, requestBody.Description));
        Assert.Equal(5, Assert.Single(requestBody.MetricPoints).GetHistogramSum());
        var responseBody = Find(metrics, "http.client.response.body.size");
        Assert.Equal(("By", "Size of HTTP client response bodies."), (responseBody.Unit, responseBody.Description));
        Assert.Equal(7, Assert.Single(responseBody.MetricPoints).GetHistogramSum());
        Assert.Equal("POST", Tags(Assert.Single(duration.MetricPoints))["http.request.method"]);
    }

    [Fact]
    public async Task RoundTrip_SemanticConvention127WithDetailedConnection_AddsCountersAndConnectionHistogramsInSeconds()
    {
        using var capture = new TelemetryCapture(traces: false);
        var telemetry = capture.Create(MetricsOnly(roundTrip: true, readPayload: false, detailed: true), semanticConvention127: true);
        await using var backend = await LoopbackBackend.StartAsync(async context => await context.Response.WriteAsync("chunked"));
        using var invoker = backend.CreateInvoker();

        await SendAndReadAsync(telemetry, invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")));

        var metrics = capture.Metrics();
        AssertNames(
            [
                "http.client.request.started.count", "http.client.request.body.size", "http.client.request.duration",
                "http.client.response.no-content-length",
                .. LegacyDetailedSet,
            ],
            metrics);
        var noContentLength = Find(metrics, "http.client.response.no-content-length");
        Assert.Equal(("By", "Client received responses that do not have 'Content-Length' value set"), (noContentLength.Unit, noContentLength.Description));
        Assert.Equal(("s", "Time spent acquiring a client connection"), (Find(metrics, "http.client.request.get-conn.duration").Unit, Find(metrics, "http.client.request.get-conn.duration").Description));
        Assert.Equal(("s", "Time spent resolving the DNS name"), (Find(metrics, "http.client.request.dns.duration").Unit, Find(metrics, "http.client.request.dns.duration").Description));
        Assert.Equal(("s", "Time spent on TLS negotiation and connection"), (Find(metrics, "http.client.request.tls.duration").Unit, Find(metrics, "http.client.request.tls.duration").Description));
    }

    [Fact]
    public async Task RoundTrip_ChunkedResponse_CountsNoContentLengthInsteadOfResponseSize()
    {
        using var capture = new TelemetryCapture(traces: false);
        var telemetry = capture.Create(MetricsOnly(roundTrip: true, readPayload: true));
        await using var backend = await LoopbackBackend.StartAsync(async context =>
        {
            await context.Response.WriteAsync("foo ");
            await context.Response.Body.FlushAsync();
            await context.Response.WriteAsync("bar");
        });
        using var invoker = backend.CreateInvoker();

        Assert.Equal("foo bar", await SendAndReadAsync(telemetry, invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1"))));

        var metrics = capture.Metrics();
        AssertNames(["http.client.request.started.count", "http.client.request.size", "http.client.duration", "http.client.response.no-content-length", .. ReadSet], metrics);
        Assert.Equal(1, SinglePoint(metrics, "http.client.response.no-content-length").GetSumLong());
        Assert.Equal(7, SinglePoint(metrics, "http.client.response.read.size").GetSumLong());
    }

    [Fact]
    public async Task RoundTrip_Head_RecordsNeitherResponseSizeNorNoContentLength()
    {
        using var capture = new TelemetryCapture(traces: false);
        var telemetry = capture.Create(MetricsOnly(roundTrip: true, readPayload: false));
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("foo bar"));
        using var invoker = backend.CreateInvoker();

        using (var response = await telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Head, backend.Url("/users/1")), CancellationToken.None))
        {
            Assert.Equal(200, (int)response.StatusCode);
        }

        var metrics = capture.Metrics();
        AssertNames(["http.client.request.started.count", "http.client.request.size", "http.client.duration"], metrics);
        Assert.Equal("HEAD", Tags(SinglePoint(metrics, "http.client.duration"))["http.request.method"]);
    }

    [Fact]
    public async Task RoundTrip_PostWithBody_AddsRequestContentLengthAndActualMethod()
    {
        using var capture = new TelemetryCapture(traces: false);
        var telemetry = capture.Create(MetricsOnly(roundTrip: true, readPayload: false));
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("created", 201));
        using var invoker = backend.CreateInvoker();

        await SendAndReadAsync(telemetry, invoker, new HttpRequestMessage(HttpMethod.Post, backend.Url("/users")) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes("0123456789")) });

        var metrics = capture.Metrics();
        var requestSize = SinglePoint(metrics, "http.client.request.size");
        Assert.Equal(10, requestSize.GetSumLong());
        Assert.Equal("POST", Tags(requestSize)["http.request.method"]);
        Assert.Equal(201, Tags(requestSize)["http.response.status_code"]);
    }

    [Fact]
    public async Task RoundTrip_ConnectionRefused_CountsFailedWithStatusZero()
    {
        using var capture = new TelemetryCapture(traces: false);
        var telemetry = capture.Create(MetricsOnly(roundTrip: true, readPayload: true));
        var port = LoopbackBackend.UnusedPort();
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false });

        await Assert.ThrowsAsync<HttpRequestException>(() => telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/users/1"), CancellationToken.None));

        var metrics = capture.Metrics();
        AssertNames(["http.client.request.started.count", "http.client.request.failed.count", "http.client.request.size", "http.client.duration"], metrics);
        var failed = SinglePoint(metrics, "http.client.request.failed.count");
        Assert.Equal(1, failed.GetSumLong());
        Assert.Equal(0, Tags(failed)["http.response.status_code"]);
        Assert.Equal(port, Tags(failed)["server.port"]);
    }

    [Fact]
    public async Task RoundTrip_TimeoutFired_CountsTimedOutAndFailed()
    {
        using var capture = new TelemetryCapture(traces: false);
        var telemetry = capture.Create(MetricsOnly(roundTrip: true, readPayload: false));
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await LoopbackBackend.StartAsync(async context =>
        {
            arrived.TrySetResult();
            await WaitUntilAbortedAsync(context);
        });
        using var invoker = backend.CreateInvoker();
        using var client = new CancellationTokenSource();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(client.Token);

        var send = telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/slow")), timeout.Token, client.Token);
        await arrived.Task;
        await timeout.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);

        var metrics = capture.Metrics();
        AssertNames(["http.client.request.started.count", "http.client.request.failed.count", "http.client.request.timedout.count", "http.client.request.size", "http.client.duration"], metrics);
        Assert.Equal(1, SinglePoint(metrics, "http.client.request.timedout.count").GetSumLong());
        Assert.Equal(1, SinglePoint(metrics, "http.client.request.failed.count").GetSumLong());
        Assert.Equal(0, Tags(SinglePoint(metrics, "http.client.request.timedout.count"))["http.response.status_code"]);
    }

    [Fact]
    public async Task RoundTrip_ClientCanceled_CountsCanceledButNotFailed()
    {
        using var capture = new TelemetryCapture(traces: false);
        var telemetry = capture.Create(MetricsOnly(roundTrip: true, readPayload: false));
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await LoopbackBackend.StartAsync(async context =>
        {
            arrived.TrySetResult();
            await WaitUntilAbortedAsync(context);
        });
        using var invoker = backend.CreateInvoker();
        using var client = new CancellationTokenSource();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(client.Token);

        var send = telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/slow")), timeout.Token, client.Token);
        await arrived.Task;
        await client.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);

        var metrics = capture.Metrics();
        AssertNames(["http.client.request.started.count", "http.client.request.canceled.count", "http.client.request.size", "http.client.duration"], metrics);
        Assert.Equal(1, SinglePoint(metrics, "http.client.request.canceled.count").GetSumLong());
    }

    [Fact]
    public async Task RoundTrip_CancelledWithoutClientToken_CountsCanceled()
    {
        using var capture = new TelemetryCapture(traces: false);
        var telemetry = capture.Create(MetricsOnly(roundTrip: true, readPayload: false));
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await LoopbackBackend.StartAsync(async context =>
        {
            arrived.TrySetResult();
            await WaitUntilAbortedAsync(context);
        });
        using var invoker = backend.CreateInvoker();
        using var cancellation = new CancellationTokenSource();

        var send = telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/slow")), cancellation.Token);
        await arrived.Task;
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);

        var metrics = capture.Metrics();
        Assert.Equal(1, SinglePoint(metrics, "http.client.request.canceled.count").GetSumLong());
        Assert.DoesNotContain(metrics, m => m.Name is "http.client.request.failed.count" or "http.client.request.timedout.count");
    }

    [Fact]
    public async Task StaticAttributes_OnEveryMetric_ButDynamicKeysWin()
    {
        using var capture = new TelemetryCapture(traces: false);
        var telemetry = capture.Create(MetricsOnly(
            roundTrip: true,
            readPayload: true,
            staticAttributes: [new("team", "payments"), new("clientname", "overridden"), new("http.route", "/static")]));
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("foo bar"));
        using var invoker = backend.CreateInvoker();

        await SendAndReadAsync(telemetry, invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")));

        var metrics = capture.Metrics();
        var started = Tags(SinglePoint(metrics, "http.client.request.started.count"));
        Assert.Equal("payments", started["team"]);
        Assert.Equal("/users/:id", started["clientname"]);
        Assert.Equal("/static", started["http.route"]);
        var read = Tags(SinglePoint(metrics, "http.client.response.read.size"));
        Assert.Equal(("payments", "/static", "overridden", 6), (read["team"], read["http.route"], read["clientname"], read.Count));
    }

    [Fact]
    public async Task Instruments_TwoBackendsOnOneSources_ShareOneInstrumentSet()
    {
        using var capture = new TelemetryCapture(traces: false);
        var users = capture.Create(MetricsOnly(roundTrip: true, readPayload: true));
        var orders = BackendRequestTelemetry.Create(capture.Sources, MetricsOnly(roundTrip: true, readPayload: true), new BackendRequestIdentity("/orders", "GET", "/api/orders", "GET"), false, Propagator)!;
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("foo bar"));
        using var invoker = backend.CreateInvoker();

        await SendAndReadAsync(users, invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")));
        await SendAndReadAsync(orders, invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/orders")));

        Assert.Same(RoundTripInstruments.For(capture.Sources, false), RoundTripInstruments.For(capture.Sources, false));
        Assert.Same(ReadInstruments.For(capture.Sources), ReadInstruments.For(capture.Sources));
        var started = Find(capture.Metrics(), "http.client.request.started.count");
        Assert.Equal(["/orders", "/users/:id"], started.MetricPoints.Select(p => (string)Tags(p)["clientname"]!).Order(StringComparer.Ordinal));
    }

    /// <summary>§4.7, with round_trip: false meaning what it says (Q4).</summary>
    [Theory]
    [InlineData("missing object (defaults)", true, true, true, false, "round,detailed,read")]
    [InlineData("{disable_stage}", false, false, false, true, "")]
    [InlineData("{disable_stage, round_trip}", true, false, false, true, "round")]
    [InlineData("{round_trip:false, read_payload}", false, true, false, false, "read")]
    [InlineData("{detailed_connection}", false, false, true, false, "")]
    [InlineData("{round_trip, detailed_connection}", true, false, true, false, "round,detailed")]
    public async Task FlagMatrix_MetricsOptions_ExportExactlyTheirSets(string config, bool roundTrip, bool readPayload, bool detailed, bool disableStage, string expectedSets)
    {
        using var capture = new TelemetryCapture(traces: false);
        var telemetry = capture.Create(MetricsOnly(roundTrip, readPayload, detailed, disableStage));
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("foo bar"));
        using var invoker = backend.CreateInvoker();

        await SendAndReadAsync(telemetry, invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")));

        var expected = new List<string>();
        foreach (var set in expectedSets.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            expected.AddRange(set switch
            {
                "round" => LegacyRoundTripSet,
                "detailed" => LegacyDetailedSet,
                _ => ReadSet,
            });
        }

        var metrics = capture.Metrics();
        Assert.True(expected.Order(StringComparer.Ordinal).SequenceEqual(metrics.Select(m => m.Name).Order(StringComparer.Ordinal)), config);
    }

    [Fact]
    public async Task ReadTracking_NoListener_LeavesResponseContentUnwrapped()
    {
        using var capture = new TelemetryCapture(traces: false, metrics: false);
        var telemetry = capture.Create(BackendLayerOptions.Default);
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("foo bar"));
        using var invoker = backend.CreateInvoker();

        using var response = await telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")), CancellationToken.None);

        Assert.IsNotType<TrackedResponseContent>(response.Content);
        Assert.Equal("foo bar", await response.Content.ReadAsStringAsync());
    }

    private static async Task WaitUntilAbortedAsync(HttpContext context)
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (context.RequestAborted.Register(() => aborted.TrySetResult()))
        {
            await aborted.Task;
        }
    }
}
