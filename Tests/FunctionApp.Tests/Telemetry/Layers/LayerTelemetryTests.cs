using System.Diagnostics;
using System.Net;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Http;

namespace FunctionApp.Tests.Telemetry.Layers;

/// <summary>
/// The global, proxy and backend stages through the real gateway (reference §4.2–§4.4, §5.1–§5.4), recorded with
/// in-memory exporters.
/// </summary>
public sealed class LayerTelemetryTests
{
    private static async Task<TestBackend> StartUsersBackendAsync() => await TestBackend.StartAsync(async context =>
    {
        if (context.Request.Path.StartsWithSegments("/fail"))
        {
            context.Response.StatusCode = 503;
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("{\"id\":42,\"name\":\"ada\"}");
    });

    private static string Config(TestBackend backend, string telemetry, string endpointExtra = "", string backendExtra = "") => $$"""
        {
          "version": 3,
          "name": "layers-test",
          "extra_config": { "telemetry/opentelemetry": {{telemetry}} },
          "endpoints": [
            {
              "endpoint": "/users/{id}",
              "method": "GET",
              {{endpointExtra}}
              "backend": [ { "host": ["{{backend.BaseUrl}}"], "url_pattern": "/api/users/{id}" {{backendExtra}} } ]
            },
            {
              "endpoint": "/broken",
              "backend": [ { "host": ["{{backend.BaseUrl}}"], "url_pattern": "/fail" } ]
            }
          ]
        }
        """;

    private const string AllLayers = """{ "exporters": {} }""";

    [Fact]
    public async Task Request_AllLayersOn_ProducesGlobalProxyBackendSpanTree()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture();
        await using var gateway = await TestGateway.StartAsync(Config(backend, AllLayers), telemetry: capture.Settings);

        using var response = await gateway.Client.GetAsync("/users/42?x=1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var spans = await capture.WaitForSpansAsync(s => s.Any(a => Stage(a) == "global"));
        var global = Assert.Single(spans, a => Stage(a) == "global");
        var proxy = Assert.Single(spans, a => Stage(a) == "proxy");
        var stage = Assert.Single(spans, a => Stage(a) == "backend");

        Assert.Equal("/users/42", global.DisplayName);
        Assert.Equal(ActivityKind.Server, global.Kind);
        Assert.Equal("/users/42?x=1", global.GetTagItem("url.full"));
        Assert.Equal("GET", global.GetTagItem("http.request.method"));
        Assert.Equal("/users/:id", global.GetTagItem("http.route"));
        Assert.Equal(200, global.GetTagItem("http.response.status_code"));
        Assert.True((long)global.GetTagItem("http.response.body.size")! > 0);
        Assert.Equal(ActivityStatusCode.Ok, global.Status);

        Assert.Equal("/users/:id", proxy.DisplayName);
        Assert.Equal(ActivityKind.Internal, proxy.Kind);
        Assert.Equal(global.SpanId, proxy.ParentSpanId);
        Assert.Equal(true, proxy.GetTagItem("complete"));
        Assert.Equal(200, proxy.GetTagItem("http.response.status_code"));
        Assert.Equal(ActivityStatusCode.Unset, proxy.Status);

        Assert.Equal("/api/users/:id", stage.DisplayName);
        Assert.Equal(proxy.SpanId, stage.ParentSpanId);
        Assert.Equal("/users/:id", stage.GetTagItem("krakend.endpoint.route"));
        Assert.Equal("GET", stage.GetTagItem("krakend.endpoint.method"));
        Assert.Equal(global.TraceId, stage.TraceId);
    }

    [Fact]
    public async Task Request_AllLayersOn_BackendRequestSpansSitUnderTheBackendStageAndContextReachesTheBackend()
    {
        string? traceparent = null;
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            traceparent = context.Request.Headers.TraceParent.ToString();
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"id\":1}");
        });
        var capture = new TelemetryCapture();
        await using var gateway = await TestGateway.StartAsync(Config(backend, AllLayers), telemetry: capture.Settings);

        (await gateway.Client.GetAsync("/users/1")).Dispose();

        var spans = await capture.WaitForSpansAsync(s => s.Any(a => Stage(a) == "global"));
        var stage = Assert.Single(spans, a => Stage(a) == "backend");
        var client = Assert.Single(spans, a => Stage(a) == "backend-request" && a.Kind == ActivityKind.Client);
        var read = Assert.Single(spans, a => a.DisplayName == "http.client.response.read.tracker");
        Assert.Equal(stage.SpanId, client.ParentSpanId);
        Assert.Equal(client.SpanId, read.ParentSpanId);
        Assert.Equal("/api/users/:id", client.DisplayName);
        Assert.Equal($"{backend.BaseUrl}/api/users/1", client.GetTagItem("url.full"));
        Assert.Equal($"00-{client.TraceId.ToHexString()}-{client.SpanId.ToHexString()}-01", traceparent);

        var points = capture.CollectMetrics();
        var started = Assert.Single(points, p => p.Name == "http.client.request.started.count");
        Assert.Equal(1, started.Value);
        Assert.Equal("/api/users/:id", started.Tag("clientname"));
        Assert.Equal(backend.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), started.Tag("server.port"));
        Assert.Equal(8, Assert.Single(points, p => p.Name == "http.client.response.read.size").Value);
    }

    [Fact]
    public async Task Request_AllLayersOn_RecordsLegacyLayerMetricsWithKrakenDAttributes()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture();
        await using var gateway = await TestGateway.StartAsync(Config(backend, AllLayers), telemetry: capture.Settings);

        (await gateway.Client.GetAsync("/users/42")).Dispose();

        var points = await capture.WaitForMetricsAsync(p => p.Any(m => m.Name == "http.server.duration"));
        var server = Assert.Single(points, p => p.Name == "http.server.duration");
        Assert.Equal("", server.Unit);
        Assert.Equal(1, server.Count);
        Assert.Equal(
            new Dictionary<string, object?> { ["http.request.method"] = "GET", ["url.scheme"] = "http", ["http.route"] = "/users/:id", ["http.response.status_code"] = 200 },
            server.Tags);
        Assert.Equal([0.010, 0.020, 0.050, 0.075, 0.100, 0.125, 0.150, 0.175, 0.200, 0.250, 0.300, 0.350, 0.500, 0.750, 1.0, 1.5, 2.0, 3.5, 5.0, 10.0, double.PositiveInfinity], server.Bounds);

        var size = Assert.Single(points, p => p.Name == "http.server.response.size");
        Assert.Equal(22, size.Value);

        var proxy = Assert.Single(points, p => p.Name == "krakend.proxy.duration");
        Assert.Equal(
            new Dictionary<string, object?> { ["http.request.method"] = "GET", ["http.route"] = "/users/:id", ["error"] = false, ["canceled"] = false, ["complete"] = true },
            proxy.Tags);

        var stage = Assert.Single(points, p => p.Name == "krakend.backend.duration");
        Assert.Equal(
            new Dictionary<string, object?>
            {
                ["http.request.method"] = "GET",
                ["http.route"] = "/api/users/:id",
                ["krakend.endpoint.route"] = "/users/:id",
                ["krakend.endpoint.method"] = "GET",
                ["error"] = false,
                ["canceled"] = false,
                ["complete"] = true,
            },
            stage.Tags);
    }

    [Fact]
    public async Task Request_SemanticConvention127_UsesNewServerNamesAndUnits()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture();
        await using var gateway = await TestGateway.StartAsync(Config(backend, """{ "exporters": {}, "layers": { "global": { "semantic_convention": "1.27" } } }"""), telemetry: capture.Settings);

        (await gateway.Client.GetAsync("/users/1")).Dispose();

        var points = await capture.WaitForMetricsAsync(p => p.Any(m => m.Name == "http.server.request.duration"));
        var duration = Assert.Single(points, p => p.Name == "http.server.request.duration");
        Assert.Equal("s", duration.Unit);
        Assert.Equal("Duration of HTTP server requests.", duration.Description);
        var size = Assert.Single(points, p => p.Name == "http.server.response.body.size");
        Assert.Equal("By", size.Unit);
        Assert.DoesNotContain(points, p => p.Name == "http.server.duration");
    }

    [Fact]
    public async Task UnknownPath_NoEndpoint_RouteIsStatusText()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture();
        await using var gateway = await TestGateway.StartAsync(Config(backend, AllLayers), telemetry: capture.Settings);

        (await gateway.Client.GetAsync("/nowhere")).Dispose();
        (await gateway.Client.PostAsync("/users/1", null)).Dispose();

        var points = await capture.WaitForMetricsAsync(p => p.Count(m => m.Name == "http.server.duration") == 2);
        Assert.Contains(points, p => p.Name == "http.server.duration" && p.Tag("http.route") == "404 Not Found" && p.Tag("http.response.status_code") == "404");
        Assert.Contains(points, p => p.Name == "http.server.duration" && p.Tag("http.route") == "405 Method Not Allowed" && p.Tag("http.request.method") == "POST");
        Assert.DoesNotContain(points, p => p.Name == "krakend.proxy.duration");
    }

    [Fact]
    public async Task UnknownMethod_IsReportedAsOther()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture();
        await using var gateway = await TestGateway.StartAsync(Config(backend, AllLayers), telemetry: capture.Settings);

        using var request = new HttpRequestMessage(new HttpMethod("BREW"), "/users/1");
        (await gateway.Client.SendAsync(request)).Dispose();

        var points = await capture.WaitForMetricsAsync(p => p.Any(m => m.Name == "http.server.duration"));
        Assert.Equal("_OTHER", Assert.Single(points, p => p.Name == "http.server.duration").Tag("http.request.method"));
    }

    [Fact]
    public async Task FailingBackend_MarksProxyAndBackendAsErrorAndIncomplete()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture();
        await using var gateway = await TestGateway.StartAsync(Config(backend, AllLayers), telemetry: capture.Settings);

        using var response = await gateway.Client.GetAsync("/broken");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);

        var spans = await capture.WaitForSpansAsync(s => s.Any(a => Stage(a) == "global"));
        var proxy = Assert.Single(spans, a => Stage(a) == "proxy");
        Assert.Contains("invalid status code 503", (string)proxy.GetTagItem("error")!, StringComparison.Ordinal);
        Assert.Equal(500, proxy.GetTagItem("http.response.status_code"));
        Assert.Equal(false, proxy.GetTagItem("complete"));

        var points = capture.CollectMetrics();
        var proxyPoint = Assert.Single(points, p => p.Name == "krakend.proxy.duration");
        Assert.Equal(true, proxyPoint.Tags["error"]);
        Assert.Equal(false, proxyPoint.Tags["complete"]);
        var server = Assert.Single(points, p => p.Name == "http.server.duration");
        Assert.Equal("/broken", server.Tag("http.route"));
        Assert.Equal("500", server.Tag("http.response.status_code"));
    }

    [Fact]
    public async Task SkipPaths_DefaultHealthPath_IsNotInstrumented()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture();
        await using var gateway = await TestGateway.StartAsync(Config(backend, AllLayers), telemetry: capture.Settings);

        (await gateway.Client.GetAsync("/__health")).Dispose();
        (await gateway.Client.GetAsync("/users/7")).Dispose();

        var points = await capture.WaitForMetricsAsync(p => p.Any(m => m.Name == "http.server.duration"));
        Assert.Single(points, p => p.Name == "http.server.duration");
        Assert.DoesNotContain(capture.Spans, s => s.DisplayName == "/__health");
    }

    [Fact]
    public async Task SkipPaths_EndpointPattern_SkipsEveryLayerForThatEndpoint()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture();
        await using var gateway = await TestGateway.StartAsync(Config(backend, """{ "exporters": {}, "skip_paths": ["/users/{id}"] }"""), telemetry: capture.Settings);

        (await gateway.Client.GetAsync("/users/7")).Dispose();
        (await gateway.Client.GetAsync("/broken")).Dispose();

        var points = await capture.WaitForMetricsAsync(p => p.Any(m => m.Name == "http.server.duration"));
        Assert.Equal("/broken", Assert.Single(points, p => p.Name == "http.server.duration").Tag("http.route"));
        Assert.Equal("/broken", Assert.Single(points, p => p.Name == "krakend.proxy.duration").Tag("http.route"));
    }

    [Fact]
    public async Task IncomingTraceparent_IsExtracted_UnlessPropagationDisabled()
    {
        await using var backend = await StartUsersBackendAsync();
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        foreach (var disabled in new[] { false, true })
        {
            var capture = new TelemetryCapture();
            var telemetry = disabled ? """{ "exporters": {}, "layers": { "global": { "disable_propagation": true } } }""" : AllLayers;
            await using var gateway = await TestGateway.StartAsync(Config(backend, telemetry), telemetry: capture.Settings);
            using var request = new HttpRequestMessage(HttpMethod.Get, "/users/1");
            request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
            (await gateway.Client.SendAsync(request)).Dispose();

            var spans = await capture.WaitForSpansAsync(s => s.Any(a => Stage(a) == "global"));
            var global = Assert.Single(spans, a => Stage(a) == "global");
            if (disabled)
            {
                Assert.NotEqual(traceId, global.TraceId.ToHexString());
                Assert.Equal(default, global.ParentSpanId);
            }
            else
            {
                Assert.Equal(traceId, global.TraceId.ToHexString());
                Assert.Equal("00f067aa0ba902b7", global.ParentSpanId.ToHexString());
            }
        }
    }

    [Fact]
    public async Task GlobalTracesOff_RemoteParentStillReachesProxySpan()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture();
        await using var gateway = await TestGateway.StartAsync(Config(backend, """{ "exporters": {}, "layers": { "global": { "disable_traces": true } } }"""), telemetry: capture.Settings);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/users/1");
        request.Headers.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        (await gateway.Client.SendAsync(request)).Dispose();

        var spans = await capture.WaitForSpansAsync(s => s.Any(a => Stage(a) == "proxy"));
        Assert.DoesNotContain(spans, a => Stage(a) == "global");
        var proxy = Assert.Single(spans, a => Stage(a) == "proxy");
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", proxy.TraceId.ToHexString());
        Assert.Equal("00f067aa0ba902b7", proxy.ParentSpanId.ToHexString());
    }

    [Fact]
    public async Task ReportHeaders_RedactsSecretsAndHonoursSkipHeaders()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture();
        const string telemetry = """{ "exporters": {}, "layers": { "global": { "report_headers": true, "skip_headers": ["x-skip-me"] } } }""";
        await using var gateway = await TestGateway.StartAsync(Config(backend, telemetry), telemetry: capture.Settings);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/users/1");
        request.Headers.Add("Authorization", "Bearer secret-token");
        request.Headers.Add("Cookie", "session=abc");
        request.Headers.Add("X-Skip-Me", "no");
        request.Headers.Add("X-Tenant", "a, b");
        (await gateway.Client.SendAsync(request)).Dispose();

        var spans = await capture.WaitForSpansAsync(s => s.Any(a => Stage(a) == "global"));
        var global = Assert.Single(spans, a => Stage(a) == "global");
        Assert.Equal(["[REDACTED]"], (string[])global.GetTagItem("http.request.header.authorization")!);
        Assert.Equal(["[REDACTED]"], (string[])global.GetTagItem("http.request.header.cookie")!);
        Assert.Null(global.GetTagItem("http.request.header.x-skip-me"));
        Assert.Equal(["a, b"], (string[])global.GetTagItem("http.request.header.x-tenant")!);
        Assert.Equal(["application/json; charset=utf-8"], (string[])global.GetTagItem("http.response.header.content-type")!);
        Assert.DoesNotContain(global.TagObjects, t => t.Value is string[] values && values.Any(v => v.Contains("secret-token", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task StaticAttributes_EndpointGlobalAddsAndWins_ProxyOverrideReplaces()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture();
        const string telemetry = """
            { "exporters": {}, "layers": {
                "global": { "metrics_static_attributes": [{ "key": "tier", "value": "service" }, { "key": "zone", "value": "eu" }] },
                "proxy": { "metrics_static_attributes": [{ "key": "pipe", "value": "service" }] } } }
            """;
        const string endpointExtra = """
            "extra_config": { "telemetry/opentelemetry": {
                "global": { "metrics_static_attributes": [{ "key": "tier", "value": "endpoint" }] },
                "proxy": { "metrics_static_attributes": [{ "key": "pipe", "value": "endpoint" }] } } },
            """;
        await using var gateway = await TestGateway.StartAsync(Config(backend, telemetry, endpointExtra), telemetry: capture.Settings);

        (await gateway.Client.GetAsync("/users/1")).Dispose();
        (await gateway.Client.GetAsync("/nowhere")).Dispose();

        var points = await capture.WaitForMetricsAsync(p => p.Count(m => m.Name == "http.server.duration") == 2);
        var matched = Assert.Single(points, p => p.Name == "http.server.duration" && p.Tag("http.route") == "/users/:id");
        Assert.Equal("endpoint", matched.Tag("tier"));
        Assert.Equal("eu", matched.Tag("zone"));
        var unmatched = Assert.Single(points, p => p.Name == "http.server.duration" && p.Tag("http.route") == "404 Not Found");
        Assert.Equal("service", unmatched.Tag("tier"));
        var proxy = Assert.Single(points, p => p.Name == "krakend.proxy.duration" && p.Tag("http.route") == "/users/:id");
        Assert.Equal("endpoint", proxy.Tag("pipe"));
    }

    [Fact]
    public async Task LayerFlags_DisableProxyTracesAndBackendStage_DropOnlyThose()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture();
        const string telemetry = """
            { "exporters": {}, "layers": { "proxy": { "disable_traces": true }, "backend": { "metrics": { "disable_stage": true }, "traces": { "disable_stage": true } } } }
            """;
        await using var gateway = await TestGateway.StartAsync(Config(backend, telemetry), telemetry: capture.Settings);

        (await gateway.Client.GetAsync("/users/1")).Dispose();

        var spans = await capture.WaitForSpansAsync(s => s.Any(a => Stage(a) == "global"));
        Assert.DoesNotContain(spans, a => Stage(a) is "proxy" or "backend");
        var points = capture.CollectMetrics();
        Assert.Contains(points, p => p.Name == "krakend.proxy.duration");
        Assert.DoesNotContain(points, p => p.Name == "krakend.backend.duration");
    }

    [Fact]
    public async Task FunctionsMode_GlobalSpanCarriesInvocationId()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture(settings: name => name == "GATEWAY_TELEMETRY_FLUSH" ? "background" : null);
        await using var gateway = await TestGateway.StartAsync(Config(backend, AllLayers), answersHostProbe: true, telemetry: capture.Settings);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/users/1");
        request.Headers.Add("X-Azure-Functions-InvocationId", "3f1c9a7e-0000-4000-8000-000000000001");
        (await gateway.Client.SendAsync(request)).Dispose();

        var spans = await capture.WaitForSpansAsync(s => s.Any(a => Stage(a) == "global"));
        var global = Assert.Single(spans, a => Stage(a) == "global");
        Assert.Equal("3f1c9a7e-0000-4000-8000-000000000001", global.GetTagItem("faas.invocation_id"));
        Assert.Equal("http", global.GetTagItem("faas.trigger"));
    }

    [Fact]
    public async Task EndpointProxyOverride_ReplacesServiceLevelForThatEndpointOnly()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture();
        const string endpointExtra = """ "extra_config": { "telemetry/opentelemetry": { "proxy": { "disable_metrics": true } } }, """;
        await using var gateway = await TestGateway.StartAsync(Config(backend, AllLayers, endpointExtra), telemetry: capture.Settings);

        (await gateway.Client.GetAsync("/users/1")).Dispose();
        (await gateway.Client.GetAsync("/broken")).Dispose();

        var points = await capture.WaitForMetricsAsync(p => p.Count(m => m.Name == "http.server.duration") == 2);
        Assert.Equal("/broken", Assert.Single(points, p => p.Name == "krakend.proxy.duration").Tag("http.route"));
        var spans = await capture.WaitForSpansAsync(s => s.Count(a => Stage(a) == "proxy") == 2);
        Assert.Contains(spans, a => Stage(a) == "proxy" && a.DisplayName == "/users/:id");
    }

    [Fact]
    public async Task BackendOverride_PresentMetricsObject_StartsAllFalse()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture();
        const string backendExtra = """, "extra_config": { "telemetry/opentelemetry": { "backend": { "metrics": { "disable_stage": true } } } }""";
        await using var gateway = await TestGateway.StartAsync(Config(backend, AllLayers, backendExtra: backendExtra), telemetry: capture.Settings);

        (await gateway.Client.GetAsync("/users/1")).Dispose();
        (await gateway.Client.GetAsync("/broken")).Dispose();

        var points = await capture.WaitForMetricsAsync(p => p.Count(m => m.Name == "http.server.duration") == 2);
        Assert.Equal("/fail", Assert.Single(points, p => p.Name == "krakend.backend.duration").Tag("http.route"));
        Assert.All(points.Where(p => p.Name.StartsWith("http.client.", StringComparison.Ordinal)), p => Assert.Equal("/fail", p.Tag("http.route")));

        // Traces were left out of the override: they take the "missing object" defaults, everything on.
        var spans = await capture.WaitForSpansAsync(s => s.Count(a => Stage(a) == "backend-request" && a.Kind == ActivityKind.Client) == 2);
        Assert.Contains(spans, a => Stage(a) == "backend" && a.DisplayName == "/api/users/:id");
    }

    [Fact]
    public async Task BackendStaticAttributes_ReachStageAndRoundTripMetrics()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture();
        const string telemetry = """
            { "exporters": {}, "layers": { "backend": {
                "metrics": { "round_trip": true, "read_payload": true, "static_attributes": [{ "key": "team", "value": "users" }] },
                "traces": { "round_trip": true, "static_attributes": [{ "key": "team", "value": "users-traces" }] } } } }
            """;
        await using var gateway = await TestGateway.StartAsync(Config(backend, telemetry), telemetry: capture.Settings);

        (await gateway.Client.GetAsync("/users/1")).Dispose();

        var points = await capture.WaitForMetricsAsync(p => p.Any(m => m.Name == "http.server.duration"));
        Assert.Equal("users", Assert.Single(points, p => p.Name == "krakend.backend.duration").Tag("team"));
        Assert.Equal("users", Assert.Single(points, p => p.Name == "http.client.duration").Tag("team"));
        Assert.Equal("users", Assert.Single(points, p => p.Name == "http.client.response.read.size").Tag("team"));
        Assert.DoesNotContain(points, p => p.Name == "http.client.request.get-conn.duration");
        var spans = await capture.WaitForSpansAsync(s => s.Any(a => Stage(a) == "global"));
        Assert.Equal("users-traces", Assert.Single(spans, a => Stage(a) == "backend").GetTagItem("team"));
        Assert.DoesNotContain(spans, a => a.DisplayName == "http.client.response.read.tracker");
    }

    [Fact]
    public async Task ProxyReportHeaders_ReportsTheFilteredProxyRequestHeaders()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture();
        const string telemetry = """{ "exporters": {}, "layers": { "proxy": { "report_headers": true } } }""";
        const string endpointExtra = """ "input_headers": ["Authorization", "X-Tenant"], """;
        await using var gateway = await TestGateway.StartAsync(Config(backend, telemetry, endpointExtra), telemetry: capture.Settings);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/users/1");
        request.Headers.Add("Authorization", "Bearer secret-token");
        request.Headers.Add("X-Tenant", "acme");
        request.Headers.Add("X-Not-Forwarded", "no");
        (await gateway.Client.SendAsync(request)).Dispose();

        var spans = await capture.WaitForSpansAsync(s => s.Any(a => Stage(a) == "proxy"));
        var proxy = Assert.Single(spans, a => Stage(a) == "proxy");
        Assert.Equal(["[REDACTED]"], (string[])proxy.GetTagItem("http.request.header.authorization")!);
        Assert.Equal(["acme"], (string[])proxy.GetTagItem("http.request.header.x-tenant")!);
        Assert.NotNull(proxy.GetTagItem("http.request.header.x-forwarded-for"));
        Assert.Null(proxy.GetTagItem("http.request.header.x-not-forwarded"));
    }

    [Fact]
    public async Task SampleRateZero_NoSpansButMetrics()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture();
        await using var gateway = await TestGateway.StartAsync(Config(backend, """{ "exporters": {}, "trace_sample_rate": 0 }"""), telemetry: capture.Settings);

        (await gateway.Client.GetAsync("/users/1")).Dispose();

        await capture.WaitForMetricsAsync(p => p.Any(m => m.Name == "http.server.duration"));
        Assert.Empty(capture.Spans);
    }

    [Fact]
    public async Task NoTelemetryNamespace_NothingIsRecorded()
    {
        await using var backend = await StartUsersBackendAsync();
        var capture = new TelemetryCapture();
        var config = Config(backend, AllLayers).Replace("\"extra_config\": { \"telemetry/opentelemetry\": { \"exporters\": {} } },", "", StringComparison.Ordinal);
        Assert.DoesNotContain("telemetry/opentelemetry", config, StringComparison.Ordinal);
        await using var gateway = await TestGateway.StartAsync(config, telemetry: capture.Settings);

        (await gateway.Client.GetAsync("/users/1")).Dispose();

        Assert.Empty(capture.CollectMetrics());
        Assert.Empty(capture.Spans);
    }

    [Theory]
    [InlineData("?x=1", "?x=1")]
    [InlineData("?code=abc", "?code=[REDACTED]")]
    [InlineData("?a=1&CODE=abc&b=2", "?a=1&code=[REDACTED]&b=2")]
    [InlineData("?zipcode=123", "?zipcode=123")]
    [InlineData("", "")]
    public void UrlFull_FunctionKeyInQuery_IsRedacted(string query, string expected) =>
        Assert.Equal(expected, global::Telemetry.Layers.Global.GlobalTelemetryLayer.RedactFunctionKey(query));

    private static string? Stage(Activity activity) => activity.GetTagItem("krakend.stage") as string;
}
