using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bench.Companion;

/// <summary>
/// Captures a real gateway push: starts a tiny backend and a capture listener on 127.0.0.1 (HttpListener), starts
/// the gateway binary in Functions mode (<c>FUNCTIONS_CUSTOMHANDLER_PORT</c>) with a five-endpoint krakend.json whose
/// only exporter is <c>prometheus</c> (so it pushes to <c>METRICS_COMPANION_URL</c> at the end of every invocation),
/// sends a mix of invocations (2xx, a backend 404 and 500, a merge of two backends, a no-op POST, an unknown route)
/// and saves the last push, which is cumulative and so holds every series the instance has.
/// </summary>
internal static class Capture
{
    public static async Task<int> RunAsync(string gatewayBinary, string outputPath, int invocations)
    {
        var backendPort = FreePort();
        var capturePort = FreePort();
        var gatewayPort = FreePort();
        using var backend = new HttpListener();
        backend.Prefixes.Add($"http://127.0.0.1:{backendPort}/");
        backend.Start();
        using var capture = new HttpListener();
        capture.Prefixes.Add($"http://127.0.0.1:{capturePort}/");
        capture.Start();
        using var stop = new CancellationTokenSource();
        var pushes = new PushLog();
        var backendLoop = Task.Run(() => ServeAsync(backend, Backend, stop.Token));
        var captureLoop = Task.Run(() => ServeAsync(capture, context => pushes.Receive(context), stop.Token));

        var config = Path.Combine(Path.GetTempPath(), $"bench-companion-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, GatewayConfig(backendPort)).ConfigureAwait(false);
        var start = new ProcessStartInfo(gatewayBinary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(config);
        start.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = gatewayPort.ToString(CultureInfo.InvariantCulture);
        start.Environment["METRICS_COMPANION_URL"] = $"http://127.0.0.1:{capturePort}";
        start.Environment["WEBSITE_SITE_NAME"] = "bench-gateway";
        start.Environment["REGION_NAME"] = "westeurope";
        foreach (var variable in start.Environment.Keys.Where(static k => k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(variable);
        }

        var output = new StringBuilder();
        using var gateway = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {gatewayBinary}");
        gateway.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        gateway.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        gateway.BeginOutputReadLine();
        gateway.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gatewayPort}"), Timeout = TimeSpan.FromSeconds(10) };
            await WaitReadyAsync(client, gateway, output).ConfigureAwait(false);
            string[] paths = ["/users/7", "/users/7/profile", "/catalog/sku-1", "/catalog/missing", "/reports/daily", "POST /orders", "/nowhere"];
            var statuses = new SortedDictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < invocations; i++)
            {
                var path = paths[i % paths.Length];
                using var request = path.StartsWith("POST ", StringComparison.Ordinal)
                    ? new HttpRequestMessage(HttpMethod.Post, path[5..]) { Content = new StringContent("{\"sku\":\"sku-1\",\"quantity\":2}", Encoding.UTF8, "application/json") }
                    : new HttpRequestMessage(HttpMethod.Get, path);
                request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
                using var response = await client.SendAsync(request).ConfigureAwait(false);
                await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                var key = $"{path} → {(int)response.StatusCode}";
                statuses[key] = statuses.GetValueOrDefault(key) + 1;
            }

            // The last invocation's push arrived before its response completed (per-invocation flush); allow a straggler.
            await Task.Delay(500).ConfigureAwait(false);
            var (body, encoding, count) = pushes.Last();
            if (body is null)
            {
                Console.Error.WriteLine($"[capture] no push received; gateway output:\n{output}");
                return 1;
            }

            await File.WriteAllBytesAsync(outputPath, body).ConfigureAwait(false);
            Console.WriteLine($"[capture] {invocations} invocations: {string.Join(", ", statuses.Select(static s => $"{s.Key} ×{s.Value}"))}");
            Console.WriteLine($"[capture] {count} pushes received; the last one ({body.Length} bytes, Content-Encoding '{encoding}') saved to {outputPath}");
            return 0;
        }
        finally
        {
            if (!gateway.HasExited)
            {
                gateway.Kill(entireProcessTree: true);
                await gateway.WaitForExitAsync().ConfigureAwait(false);
            }

            await stop.CancelAsync().ConfigureAwait(false);
            backend.Stop();
            capture.Stop();
            await Task.WhenAll(backendLoop, captureLoop).ConfigureAwait(false);
            File.Delete(config);
        }
    }

    private static string GatewayConfig(int backendPort) => $$"""
        {
          "version": 3,
          "name": "bench-capture",
          "timeout": "3s",
          "extra_config": {
            "telemetry/opentelemetry": {
              "service_name": "bench-gateway",
              "exporters": { "prometheus": [ { "name": "companion" } ] }
            }
          },
          "endpoints": [
            { "endpoint": "/users/{id}", "backend": [ { "host": ["http://127.0.0.1:{{backendPort}}"], "url_pattern": "/api/users/{id}" } ] },
            {
              "endpoint": "/users/{id}/profile",
              "backend": [
                { "host": ["http://127.0.0.1:{{backendPort}}"], "url_pattern": "/api/users/{id}" },
                { "host": ["http://127.0.0.1:{{backendPort}}"], "url_pattern": "/api/users/{id}/orders", "group": "orders" }
              ]
            },
            { "endpoint": "/catalog/{sku}", "backend": [ { "host": ["http://127.0.0.1:{{backendPort}}"], "url_pattern": "/api/catalog/{sku}" } ] },
            { "endpoint": "/reports/daily", "backend": [ { "host": ["http://127.0.0.1:{{backendPort}}"], "url_pattern": "/api/reports/daily" } ] },
            {
              "endpoint": "/orders", "method": "POST", "output_encoding": "no-op",
              "backend": [ { "host": ["http://127.0.0.1:{{backendPort}}"], "url_pattern": "/api/orders", "encoding": "no-op" } ]
            }
          ]
        }
        """;

    private static void Backend(HttpListenerContext context)
    {
        var path = context.Request.Url?.AbsolutePath ?? "/";
        var (status, body) = path switch
        {
            "/api/catalog/missing" => (404, "{\"error\":\"not found\"}"),
            "/api/reports/daily" => (500, "{\"error\":\"boom\"}"),
            "/api/orders" => (201, "{\"order\":42,\"status\":\"accepted\"}"),
            _ when path.EndsWith("/orders", StringComparison.Ordinal) => (200, "{\"items\":[{\"id\":1,\"total\":12.5},{\"id\":2,\"total\":7}]}"),
            _ when path.StartsWith("/api/catalog/", StringComparison.Ordinal) => (200, "{\"sku\":\"sku-1\",\"name\":\"Widget\",\"price\":9.99,\"stock\":120}"),
            _ => (200, "{\"id\":7,\"name\":\"Ada\",\"email\":\"ada@example.com\",\"active\":true}"),
        };
        if (context.Request.HasEntityBody)
        {
            context.Request.InputStream.CopyTo(Stream.Null);
        }

        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        context.Response.OutputStream.Write(bytes);
        context.Response.Close();
    }

    private static async Task ServeAsync(HttpListener listener, Action<HttpListenerContext> handle, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() =>
            {
                try
                {
                    handle(context);
                }
                catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
                {
                    // The client went away.
                }
            }, CancellationToken.None);
        }
    }

    private static async Task WaitReadyAsync(HttpClient client, Process gateway, StringBuilder output)
    {
        for (var i = 0; i < 300; i++)
        {
            if (gateway.HasExited)
            {
                break;
            }

            try
            {
                using var probe = await client.GetAsync(new Uri("/", UriKind.Relative)).ConfigureAwait(false);
                if (probe.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"the gateway did not become ready; its output:\n{output}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class PushLog
    {
        private readonly Lock _lock = new();
        private byte[]? _last;
        private string _encoding = "";
        private int _count;

        public void Receive(HttpListenerContext context)
        {
            using var buffer = new MemoryStream();
            context.Request.InputStream.CopyTo(buffer);
            var isMetrics = context.Request.HttpMethod == "POST" && context.Request.Url?.AbsolutePath == "/v1/metrics";
            if (isMetrics)
            {
                lock (_lock)
                {
                    _last = buffer.ToArray();
                    _encoding = context.Request.Headers["Content-Encoding"] ?? "";
                    _count++;
                }
            }

            // An empty ExportMetricsServiceResponse.
            context.Response.StatusCode = isMetrics ? 200 : 404;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.ContentLength64 = 0;
            context.Response.Close();
        }

        public (byte[]? Body, string Encoding, int Count) Last()
        {
            lock (_lock)
            {
                return (_last, _encoding, _count);
            }
        }
    }
}
