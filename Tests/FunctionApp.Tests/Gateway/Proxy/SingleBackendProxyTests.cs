using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Http;

namespace FunctionApp.Gateway.Proxy.Tests;

/// <summary>One endpoint, one backend: host selection, method, body, timeouts and cancellation.</summary>
public sealed class SingleBackendProxyTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task HostList_TwoBackends_AreCalledRoundRobin()
    {
        var calls = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var first = await CapturingBackend.StartAsync(context => { calls.Enqueue("first"); return CapturingBackend.RespondJsonAsync(context, """{"from":"first"}"""); });
        await using var second = await CapturingBackend.StartAsync(context => { calls.Enqueue("second"); return CapturingBackend.RespondJsonAsync(context, """{"from":"second"}"""); });
        var config = Krakend.Config($$"""{"endpoint":"/rr","backend":[{"host":["{{first.BaseUrl}}","{{second.BaseUrl}}"],"url_pattern":"/x"}]}""");
        await using var gateway = await TestGateway.StartAsync(config);

        for (var i = 0; i < 6; i++)
        {
            var response = await gateway.Client.GetAsync("/rr");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(3, first.Requests.Count);
        Assert.Equal(3, second.Requests.Count);
        var order = calls.ToArray();
        for (var i = 1; i < order.Length; i++)
        {
            Assert.NotEqual(order[i - 1], order[i]);
        }
    }

    [Fact]
    public async Task HostList_ServiceLevelHost_IsUsedWhenBackendHasNone()
    {
        await using var backend = await CapturingBackend.StartAsync();
        var config = Krakend.Config("""{"endpoint":"/s","backend":[{"url_pattern":"/from-service"}]}""", $"\"host\":[\"{backend.BaseUrl}\"],");
        await using var gateway = await TestGateway.StartAsync(config);

        var response = await gateway.Client.GetAsync("/s");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/from-service", backend.OnlyRequest().RawTarget);
    }

    [Fact]
    public async Task BackendMethod_Override_IsSentToBackend()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/m", backend.BaseUrl, "/m", backendExtras: "\"method\":\"POST\","));

        var response = await gateway.Client.GetAsync("/m");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = backend.OnlyRequest();
        Assert.Equal("POST", received.Method);
        Assert.Empty(received.Body);
    }

    [Fact]
    public async Task BackendMethod_LowerCase_IsUpperCased()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/m", backend.BaseUrl, "/m", "\"method\":\"POST\",", "\"method\":\"put\","));

        await gateway.Client.PostAsync("/m", new StringContent("payload"));

        var received = backend.OnlyRequest();
        Assert.Equal("PUT", received.Method);
        Assert.Equal("payload", received.BodyText);
    }

    [Fact]
    public async Task PostBody_WithContentLength_ReachesBackendIntact()
    {
        var payload = new byte[1024 * 1024 + 7];
        new Random(42).NextBytes(payload);
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/upload", backend.BaseUrl, "/store", "\"method\":\"POST\","));
        using var content = new ByteArrayContent(payload);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");

        var response = await gateway.Client.PostAsync("/upload", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = backend.OnlyRequest();
        Assert.Equal("POST", received.Method);
        Assert.Equal(payload, received.Body);
        Assert.Equal(payload.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), received.Header("Content-Length"));
        Assert.Equal("application/octet-stream", received.Header("Content-Type"));
    }

    [Fact]
    public async Task PostBody_Chunked_ReachesBackendIntact()
    {
        var payload = new byte[300_000];
        new Random(7).NextBytes(payload);
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/upload", backend.BaseUrl, "/store", "\"method\":\"PUT\","));
        using var content = new StreamContent(new NonSeekableStream(payload));

        var response = await gateway.Client.PutAsync("/upload", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = backend.OnlyRequest();
        Assert.Equal("PUT", received.Method);
        Assert.Equal(payload, received.Body);
    }

    [Fact]
    public async Task PostBody_Empty_IsSentAsEmptyBody()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/p", backend.BaseUrl, "/p", "\"method\":\"POST\","));

        var response = await gateway.Client.PostAsync("/p", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = backend.OnlyRequest();
        Assert.Equal("POST", received.Method);
        Assert.Empty(received.Body);
    }

    [Fact]
    public async Task Timeout_SlowBackend_Returns500QuicklyAndCancelsTheCall()
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await CapturingBackend.StartAsync(async context =>
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                aborted.TrySetResult();
                return;
            }

            await CapturingBackend.RespondJsonAsync(context, """{"late":true}""");
        });
        var config = Krakend.OneEndpoint("/slow", backend.BaseUrl, "/slow", "\"timeout\":\"200ms\",", service: Krakend.Router("\"return_error_msg\":true"));
        await using var gateway = await TestGateway.StartAsync(config);

        var clock = Stopwatch.StartNew();
        var response = await gateway.Client.GetAsync("/slow");
        clock.Stop();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
        Assert.Equal("context deadline exceeded", await response.Content.ReadAsStringAsync());
        Assert.Equal("false", response.Headers.GetValues("X-Krakend-Completed").Single());
        await aborted.Task.WaitAsync(Wait);
    }

    [Fact]
    public async Task Timeout_SlowNoOpBackendHeaders_Returns500()
    {
        await using var backend = await CapturingBackend.StartAsync(async context =>
        {
            await Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted);
        });
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/slow", backend.BaseUrl, "/slow", "\"timeout\":\"200ms\",\"output_encoding\":\"no-op\","));

        var clock = Stopwatch.StartNew();
        var response = await gateway.Client.GetAsync("/slow");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task UnreachableBackend_ClosedPort_Returns500Quickly()
    {
        var port = RawHttp.ClosedPort();
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/down", $"http://127.0.0.1:{port}", "/down", "\"timeout\":\"10s\","));

        var clock = Stopwatch.StartNew();
        var response = await gateway.Client.GetAsync("/down");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
        Assert.Equal(string.Empty, await response.Content.ReadAsStringAsync());
        Assert.Equal("Version 2.13.8", response.Headers.GetValues("X-Krakend").Single());
    }

    [Fact]
    public async Task ClientDisconnect_CancelsTheBackendCall()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await CapturingBackend.StartAsync(async context =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                aborted.TrySetResult();
            }
        });
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/hang", backend.BaseUrl, "/hang", "\"timeout\":\"30s\","));
        using var cancel = new CancellationTokenSource();

        var call = gateway.Client.GetAsync("/hang", cancel.Token);
        await started.Task.WaitAsync(Wait);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await aborted.Task.WaitAsync(Wait);
    }

    [Fact]
    public async Task ClientDisconnect_DuringNoOpStreaming_CancelsTheBackend()
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await CapturingBackend.StartAsync(async context =>
        {
            var chunk = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    await Task.Delay(10, context.RequestAborted);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                aborted.TrySetResult();
            }
        });
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/endless", backend.BaseUrl, "/endless", "\"output_encoding\":\"no-op\","));

        using (var response = await gateway.Client.GetAsync("/endless", HttpCompletionOption.ResponseHeadersRead))
        {
            var stream = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[1024];
            Assert.True(await stream.ReadAtLeastAsync(buffer, 1) > 0);
        }

        await aborted.Task.WaitAsync(Wait);
    }

    [Fact]
    public async Task JsonBody_ChunkedAndLargerThanTheDecodeLimit_IsAFailureNotABufferedBody()
    {
        await using var backend = await CapturingBackend.StartAsync(async (HttpContext context) =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"big\":\"", context.RequestAborted);
            var filler = new string('x', 64 * 1024);
            var written = 0L;
            try
            {
                while (written < 40L * 1024 * 1024)
                {
                    await context.Response.WriteAsync(filler, context.RequestAborted);
                    written += filler.Length;
                }

                await context.Response.WriteAsync("\"}", context.RequestAborted);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
            }
        });
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/big", backend.BaseUrl, "/big", "\"timeout\":\"20s\","));

        var response = await gateway.Client.GetAsync("/big");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("false", response.Headers.GetValues("X-Krakend-Completed").Single());
    }

    [Fact]
    public async Task JsonBody_GzipExpandingPastTheDecodeLimit_IsAFailure()
    {
        byte[] compressed;
        using (var buffer = new MemoryStream())
        {
            using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write("{\"big\":\""u8);
                var filler = new byte[1024 * 1024];
                filler.AsSpan().Fill((byte)'x');
                for (var i = 0; i < 40; i++)
                {
                    gzip.Write(filler);
                }

                gzip.Write("\"}"u8);
            }

            compressed = buffer.ToArray();
        }

        await using var backend = await CapturingBackend.StartAsync(async (HttpContext context) =>
        {
            context.Response.ContentType = "application/json";
            context.Response.Headers.ContentEncoding = "gzip";
            context.Response.ContentLength = compressed.Length;
            await context.Response.Body.WriteAsync(compressed, context.RequestAborted);
        });
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/bomb", backend.BaseUrl, "/bomb", "\"timeout\":\"20s\","));

        var response = await gateway.Client.GetAsync("/bomb");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
    }

    /// <summary>A read-only stream of unknown length, so HttpClient sends it chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();
    }
}
