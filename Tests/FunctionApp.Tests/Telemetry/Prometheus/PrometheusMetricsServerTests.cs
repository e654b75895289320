using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Telemetry.Prometheus;

namespace FunctionApp.Tests.Telemetry.Prometheus;

public class PrometheusMetricsServerTests
{
    private const string Exposition = "# HELP up Up.\n# TYPE up gauge\nup 1\n";

    [Fact]
    public async Task Get_Metrics_Returns200WithTextFormatContentType()
    {
        await using var server = await StartAsync();
        using var client = new HttpClient();

        using var response = await client.GetAsync(Url(server, "/metrics"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(Exposition, await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains("Server"));
    }

    [Fact]
    public async Task Get_MetricsFromExporter_ServesTheScrape()
    {
        using var harness = new PrometheusMetricsExporterTests.Harness();
        harness.Meter.CreateCounter<long>("http.client.request.started.count").Add(2);
        var logger = new ListLogger();
        await using var server = new PrometheusMetricsServer(harness.Exporter, "127.0.0.1", 0, logger);
        await server.StartAsync();
        using var client = new HttpClient();

        var body = await client.GetStringAsync(Url(server, "/metrics"));

        Assert.Contains($"http_client_request_started_count_total{{{harness.ScopeLabels}}} 2\n", body, StringComparison.Ordinal);
        Assert.Contains("# TYPE target_info gauge\n", body, StringComparison.Ordinal);
        Assert.Empty(logger.Lines);
    }

    [Fact]
    public async Task Head_Metrics_Returns200WithoutBody()
    {
        await using var server = await StartAsync();
        using var client = new HttpClient();

        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, Url(server, "/metrics")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(Encoding.UTF8.GetByteCount(Exposition), response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/metrics/")]
    [InlineData("/Metrics")]
    [InlineData("/metrics/extra")]
    [InlineData("/other")]
    public async Task Get_OtherPath_Returns404(string path)
    {
        await using var server = await StartAsync();
        using var client = new HttpClient();

        using var response = await client.GetAsync(Url(server, path));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("OPTIONS")]
    public async Task OtherMethod_Metrics_Returns405WithAllow(string method)
    {
        await using var server = await StartAsync();
        using var client = new HttpClient();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), Url(server, "/metrics")));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(["GET", "HEAD"], response.Content.Headers.Allow);
    }

    [Fact]
    public async Task Get_AcceptGzip_ReturnsCompressedBody()
    {
        await using var server = await StartAsync();
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(server, "/metrics"));
        request.Headers.AcceptEncoding.ParseAdd("gzip");

        using var response = await client.SendAsync(request);

        Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
        await using var gzip = new GZipStream(await response.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        Assert.Equal(Exposition, await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task Get_GzipRefusedWithQualityZero_ReturnsPlainBody()
    {
        await using var server = await StartAsync();
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(server, "/metrics"));
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip;q=0, identity");

        using var response = await client.SendAsync(request);

        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal(Exposition, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_ScrapeThrows_Returns500AndLogs()
    {
        var logger = new ListLogger();
        await using var server = new PrometheusMetricsServer(_ => throw new InvalidOperationException("boom"), "127.0.0.1", 0, logger);
        await server.StartAsync();
        using var client = new HttpClient();

        using var response = await client.GetAsync(Url(server, "/metrics"));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Single(logger.Lines, l => l.Contains("failed to render", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StartAsync_PortInUse_LogsOnceAndDoesNotListen()
    {
        using var blocker = new TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        var logger = new ListLogger();
        await using var server = new PrometheusMetricsServer(_ => Task.FromResult(Array.Empty<byte>()), "127.0.0.1", port, logger);

        await server.StartAsync();

        Assert.False(server.IsListening);
        Assert.Equal(0, server.Port);
        var line = Assert.Single(logger.Lines);
        Assert.StartsWith("[SERVICE: kotel] The Prometheus exporter failed to listen and serve: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_UnresolvableListenIp_LogsOnceAndDoesNotListen()
    {
        var logger = new ListLogger();
        await using var server = new PrometheusMetricsServer(_ => Task.FromResult(Array.Empty<byte>()), "no-such-host.invalid", 0, logger);

        await server.StartAsync();

        Assert.False(server.IsListening);
        Assert.Single(logger.Lines);
    }

    [Fact]
    public async Task StartAsync_EmptyListenIp_ListensOnEveryInterface()
    {
        await using var server = new PrometheusMetricsServer(_ => Task.FromResult(Encoding.UTF8.GetBytes(Exposition)), "", 0, new ListLogger());
        await server.StartAsync();
        using var client = new HttpClient();

        Assert.True(server.IsListening);
        Assert.NotEqual(0, server.Port);
        Assert.Equal(Exposition, await client.GetStringAsync($"http://127.0.0.1:{server.Port}/metrics"));
    }

    [Fact]
    public async Task DisposeAsync_StartedServer_StopsListening()
    {
        var server = await StartAsync();
        var port = server.Port;

        await server.DisposeAsync();

        Assert.False(server.IsListening);
        using var client = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"http://127.0.0.1:{port}/metrics"));
    }

    [Fact]
    public async Task Get_ConcurrentScrapesOfOneExporter_AllSucceed()
    {
        using var harness = new PrometheusMetricsExporterTests.Harness(options => options with { ProcessMetrics = true });
        var counter = harness.Meter.CreateCounter<long>("http.client.request.started.count");
        counter.Add(1);
        await using var server = new PrometheusMetricsServer(harness.Exporter, "127.0.0.1", 0, new ListLogger());
        await server.StartAsync();
        using var client = new HttpClient();

        var bodies = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => client.GetStringAsync(Url(server, "/metrics"))));

        Assert.All(bodies, body =>
        {
            Assert.Contains("# TYPE http_client_request_started_count_total counter\n", body, StringComparison.Ordinal);
            Assert.Contains("# TYPE process_cpu_seconds_total counter\n", body, StringComparison.Ordinal);
        });
    }

    private static async Task<PrometheusMetricsServer> StartAsync()
    {
        var server = new PrometheusMetricsServer(_ => Task.FromResult(Encoding.UTF8.GetBytes(Exposition)), "127.0.0.1", 0, new ListLogger());
        await server.StartAsync();
        Assert.True(server.IsListening);
        return server;
    }

    private static string Url(PrometheusMetricsServer server, string path) => $"http://127.0.0.1:{server.Port}{path}";

    private sealed class ListLogger : ILogger
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add(formatter(state, exception));
            }
        }
    }
}
