using System.Collections.Concurrent;
using System.Globalization;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Http;

namespace FunctionApp.Tests.Companion.Prometheus;

/// <summary>A request kind with a deterministic outcome: the path to call, and the route and status the gateway reports.</summary>
/// <param name="PathFormat">The request path; <c>{0}</c> is a running number.</param>
/// <param name="Route">The <c>http_route</c> label of <c>http_server_duration</c>.</param>
/// <param name="Status">The status the gateway answers, also its <c>http_response_status_code</c> label.</param>
internal sealed record RouteCall(string PathFormat, string Route, int Status)
{
    /// <summary>Proxied to a backend that answers 200.</summary>
    public static RouteCall Ok { get; } = new("/ok/{0}", "/ok/:id", 200);

    /// <summary>Proxied to a backend that answers 404: the gateway answers 500, as KrakenD does.</summary>
    public static RouteCall Failing { get; } = new("/fail/{0}", "/fail/:id", 500);

    /// <summary>No endpoint: the gateway's own 404 (KrakenD's route label for it).</summary>
    public static RouteCall Unknown { get; } = new("/nowhere/{0}", "404 Not Found", 404);

    /// <summary>The label value of <see cref="Status"/>.</summary>
    public string StatusLabel => Status.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Gateways that push to a companion (a <c>prometheus</c> exporter in Functions mode), the backend behind them, and a
/// tally of what was sent: every request is checked to get its expected status and counted per route and status.
/// </summary>
internal sealed class CountedTraffic
{
    private readonly ConcurrentDictionary<(string Route, string Status), long> _sent = new();
    private int _sequence;

    /// <summary>The backend: <c>/api/ok</c> answers 200 with JSON, anything else 404.</summary>
    public static Task<TestBackend> StartBackendAsync() => TestBackend.StartAsync(async context =>
    {
        if (context.Request.Path == "/api/ok")
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"ok\":true}");
            return;
        }

        context.Response.StatusCode = StatusCodes.Status404NotFound;
    });

    /// <summary>A krakend.json with <see cref="RouteCall.Ok"/> and <see cref="RouteCall.Failing"/>, pushing to the companion.</summary>
    public static string GatewayConfig(TestBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return $$"""
            {
              "version": 3,
              "name": "counted-gateway",
              "extra_config": { "telemetry/opentelemetry": { "exporters": { "prometheus": [ { "name": "companion" } ] } } },
              "endpoints": [
                { "endpoint": "/ok/{id}", "backend": [ { "host": ["{{backend.BaseUrl}}"], "url_pattern": "/api/ok" } ] },
                { "endpoint": "/fail/{id}", "backend": [ { "host": ["{{backend.BaseUrl}}"], "url_pattern": "/api/missing" } ] }
              ]
            }
            """;
    }

    /// <summary>
    /// The environment of a gateway process in Functions mode pushing to <paramref name="companionUrl"/>. The flush
    /// budget is raised from 1 s to 30 s: on a loaded machine a push can take longer, and then the response would
    /// complete before its push arrives (a later push still carries the count, but "sent" would no longer mean "pushed").
    /// </summary>
    public static Dictionary<string, string> GatewayEnvironment(int port, string companionUrl) => new()
    {
        ["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        ["METRICS_COMPANION_URL"] = companionUrl,
        ["GATEWAY_TELEMETRY_FLUSH_BUDGET"] = "30s",
    };

    /// <summary>Requests sent so far, per (route, status) label values.</summary>
    public IReadOnlyDictionary<(string Route, string Status), long> Sent =>
        _sent.Where(static p => p.Value > 0).ToDictionary(static p => p.Key, static p => p.Value);

    public long Total => _sent.Values.Sum();

    /// <summary>
    /// Sends <paramref name="calls"/> one after another as Functions invocations (each with its invocation id, so each
    /// pushes before its response completes), checking each status; <paramref name="describe"/> adds context to a failure.
    /// </summary>
    public async Task SendAsync(HttpClient gateway, IEnumerable<RouteCall> calls, Func<string> describe)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentNullException.ThrowIfNull(describe);
        foreach (var call in calls)
        {
            var path = string.Format(CultureInfo.InvariantCulture, call.PathFormat, Interlocked.Increment(ref _sequence));
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
            using var response = await gateway.SendAsync(request);
            if ((int)response.StatusCode != call.Status)
            {
                Assert.Fail($"GET {path}: expected {call.Status}, got {(int)response.StatusCode}\n{describe()}");
            }

            _sent.AddOrUpdate((call.Route, call.StatusLabel), 1, static (_, n) => n + 1);
        }
    }

    /// <summary>
    /// A query result <c>sum by (http_route, http_response_status_code) (…)</c> as (route, status) → value, with values
    /// that must be whole numbers.
    /// </summary>
    public static IReadOnlyDictionary<(string Route, string Status), long> ByRouteAndStatus(IReadOnlyList<PrometheusSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var result = new Dictionary<(string Route, string Status), long>();
        foreach (var sample in samples)
        {
            Assert.True(sample.Value == Math.Floor(sample.Value), $"not a whole count: {sample.Value} for {string.Join(", ", sample.Labels)}");
            result.Add((sample.Label("http_route"), sample.Label("http_response_status_code")), (long)sample.Value);
        }

        return result;
    }

    /// <summary>A sorted, readable rendering of a (route, status) → count map for assertion messages.</summary>
    public static string Describe(IReadOnlyDictionary<(string Route, string Status), long> counts) =>
        string.Join("; ", (counts ?? new Dictionary<(string Route, string Status), long>())
            .OrderBy(static p => p.Key.Route, StringComparer.Ordinal).ThenBy(static p => p.Key.Status, StringComparer.Ordinal)
            .Select(static p => $"{p.Key.Route} {p.Key.Status} = {p.Value}"));
}
