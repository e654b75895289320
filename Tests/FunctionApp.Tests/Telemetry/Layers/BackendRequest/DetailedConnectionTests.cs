using System.Diagnostics;
using Telemetry.Configuration;
using Telemetry.Layers.BackendRequest;

namespace FunctionApp.Tests.Telemetry.Layers.BackendRequest;

/// <summary>
/// What <c>detailed_connection</c> measures per request on .NET (see <see cref="ConnectionTimings"/>): a phase that
/// happened for the request's connection is positive, one that did not is 0. Asserts the presence of a phase, never
/// how long it took.
/// </summary>
public sealed class DetailedConnectionTests
{
    private static readonly BackendLayerOptions DetailedTraces = new()
    {
        Metrics = new BackendMetricsOptions(),
        Traces = new BackendTracesOptions { RoundTrip = true, DetailedConnection = true },
    };

    private static async Task<Activity> SendAsync(TelemetryCapture capture, BackendRequestTelemetry telemetry, HttpMessageInvoker invoker, Uri url)
    {
        var before = capture.Spans.Count;
        using (var response = await telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, url), CancellationToken.None))
        {
            await response.Content.ReadAsStringAsync();
        }

        return Assert.Single(capture.Spans.Skip(before));
    }

    private static double Seconds(Activity span, string key) => (double)span.TagObjects.Single(t => t.Key == key).Value!;

    [Fact]
    public async Task GetConn_NewConnectionThenPooledOne_PositiveThenZero()
    {
        using var capture = new TelemetryCapture(metrics: false);
        var telemetry = capture.Create(DetailedTraces);
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("foo bar"));
        using var invoker = backend.CreateInvoker();

        var first = await SendAsync(capture, telemetry, invoker, backend.Url("/users/1"));
        var second = await SendAsync(capture, telemetry, invoker, backend.Url("/users/2"));

        Assert.True(Seconds(first, "get-conn-duration") > 0);
        Assert.Equal(0d, Seconds(second, "get-conn-duration"));
        Assert.Equal((0d, 0d), (Seconds(first, "dns-duration"), Seconds(first, "tls-duration")));
    }

    [Fact]
    public async Task Dns_HostNameOnANewConnection_IsPositiveThenZeroWhenPooled()
    {
        using var capture = new TelemetryCapture(metrics: false);
        var telemetry = capture.Create(DetailedTraces);
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("foo bar"));
        using var invoker = backend.CreateInvoker();
        var url = new UriBuilder(backend.Url("/users/1")) { Host = "localhost" }.Uri;

        var first = await SendAsync(capture, telemetry, invoker, url);
        var second = await SendAsync(capture, telemetry, invoker, url);

        Assert.True(Seconds(first, "dns-duration") > 0);
        Assert.Equal(0d, Seconds(second, "dns-duration"));
    }

    [Fact]
    public async Task Tls_HttpsOnANewConnection_IsPositiveThenZeroWhenPooled()
    {
        using var capture = new TelemetryCapture(metrics: false);
        var telemetry = capture.Create(DetailedTraces);
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("foo bar"), https: true);
        using var invoker = backend.CreateInvoker();

        var first = await SendAsync(capture, telemetry, invoker, backend.Url("/users/1"));
        var second = await SendAsync(capture, telemetry, invoker, backend.Url("/users/2"));

        Assert.True(Seconds(first, "tls-duration") > 0);
        Assert.True(Seconds(first, "get-conn-duration") >= Seconds(first, "tls-duration"));
        Assert.Equal(0d, Seconds(second, "tls-duration"));
        Assert.Equal(0d, Seconds(second, "get-conn-duration"));
    }

    [Fact]
    public async Task Metrics_DetailedConnectionOverHttps_RecordsTheHandshakeOnce()
    {
        using var capture = new TelemetryCapture(traces: false);
        var telemetry = capture.Create(new BackendLayerOptions
        {
            Metrics = new BackendMetricsOptions { RoundTrip = true, DetailedConnection = true },
            Traces = new BackendTracesOptions(),
        });
        await using var backend = await LoopbackBackend.StartAsync(LoopbackBackend.Respond("foo bar"), https: true);
        using var invoker = backend.CreateInvoker();

        for (var i = 0; i < 2; i++)
        {
            using var response = await telemetry.SendAsync(invoker, new HttpRequestMessage(HttpMethod.Get, backend.Url("/users/1")), CancellationToken.None);
            await response.Content.ReadAsStringAsync();
        }

        var tls = TelemetryCapture.SinglePoint(capture.Metrics(), "http.client.request.tls.duration");
        Assert.Equal(2, tls.GetHistogramCount());
        Assert.True(tls.GetHistogramSum() > 0);
        var zeroBucket = 0L;
        foreach (var bucket in tls.GetHistogramBuckets())
        {
            zeroBucket = bucket.BucketCount;
            break;
        }

        Assert.True(zeroBucket >= 1, "the pooled request records 0");
    }
}
