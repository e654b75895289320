using System.Net;
using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Http;

namespace FunctionApp.Gateway.Proxy.Tests;

/// <summary>
/// output_encoding no-op: the backend's status, headers and body reach the client untouched, and the body is
/// streamed rather than buffered.
/// </summary>
public sealed class NoOpPassThroughTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static Task<TestGateway> StartGatewayAsync(CapturingBackend backend, string extras = "") =>
        TestGateway.StartAsync(Krakend.OneEndpoint("/raw", backend.BaseUrl, "/raw", "\"output_encoding\":\"no-op\"," + extras));

    [Theory]
    [InlineData(404)]
    [InlineData(201)]
    [InlineData(500)]
    [InlineData(418)]
    [InlineData(202)]
    public async Task NoOp_BackendStatus_PassesThrough(int status)
    {
        await using var backend = await CapturingBackend.StartAsync(context =>
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/plain; charset=us-ascii";
            return context.Response.WriteAsync($"status {status}\n");
        });
        await using var gateway = await StartGatewayAsync(backend);

        var response = await gateway.Client.GetAsync("/raw");

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal($"status {status}\n", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/plain; charset=us-ascii", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("Version 2.13.8", response.Headers.GetValues("X-Krakend").Single());
        Assert.Equal("false", response.Headers.GetValues("X-Krakend-Completed").Single());
    }

    [Fact]
    public async Task NoOp_Backend304_PassesThroughWithoutBody()
    {
        await using var backend = await CapturingBackend.StartAsync(context =>
        {
            context.Response.StatusCode = 304;
            context.Response.Headers.ETag = "\"v1\"";
            return Task.CompletedTask;
        });
        await using var gateway = await StartGatewayAsync(backend);

        var response = await RawHttp.SendAsync(gateway.Port, "GET /raw HTTP/1.1\r\nHost: gw\r\nConnection: close");

        Assert.Equal(304, response.Status);
        Assert.Equal("\"v1\"", Assert.Single(response.Values("ETag")));
        Assert.Empty(response.Body);
    }

    [Fact]
    public async Task NoOp_BackendHeaders_PassThroughIncludingEverySetCookie()
    {
        await using var backend = await CapturingBackend.StartAsync(context =>
        {
            context.Response.Headers.SetCookie = new(["a=1; Path=/", "b=2; HttpOnly", "c=3"]);
            context.Response.Headers["X-Backend"] = "yes";
            context.Response.Headers.ETag = "\"abc\"";
            context.Response.Headers.CacheControl = "private, max-age=5";
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync("""{"b":1,"a":2}""");
        });
        await using var gateway = await StartGatewayAsync(backend, "\"cache_ttl\":\"1m\",");

        var response = await gateway.Client.GetAsync("/raw");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["a=1; Path=/", "b=2; HttpOnly", "c=3"], response.Headers.GetValues("Set-Cookie"));
        Assert.Equal("yes", response.Headers.GetValues("X-Backend").Single());
        Assert.Equal("\"abc\"", response.Headers.ETag?.ToString());
        Assert.Equal("private, max-age=5", response.Headers.NonValidated["Cache-Control"].ToString());
        Assert.Equal("""{"b":1,"a":2}""", await response.Content.ReadAsStringAsync());
        Assert.Equal("false", response.Headers.GetValues("X-Krakend-Completed").Single());
    }

    [Fact]
    public async Task NoOp_Body_IsPassedByteForByte()
    {
        var body = new byte[256 * 3 + 1];
        for (var i = 0; i < body.Length; i++)
        {
            body[i] = (byte)i;
        }

        await using var backend = await CapturingBackend.StartAsync(context =>
        {
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = body.Length;
            return context.Response.Body.WriteAsync(body).AsTask();
        });
        await using var gateway = await StartGatewayAsync(backend);

        var response = await gateway.Client.GetAsync("/raw");

        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task NoOp_InvalidJsonWithTrailingNewline_IsNotTouched()
    {
        await using var backend = await CapturingBackend.StartAsync(context =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync("{\"unterminated\": <b>&\n");
        });
        await using var gateway = await StartGatewayAsync(backend);

        var response = await gateway.Client.GetAsync("/raw");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{\"unterminated\": <b>&\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task NoOp_RequestBodyAndMethod_AreForwarded()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/raw", backend.BaseUrl, "/raw", "\"method\":\"PATCH\",\"output_encoding\":\"no-op\","));

        var response = await gateway.Client.PatchAsync("/raw", new StringContent("patch-body"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = backend.OnlyRequest();
        Assert.Equal("PATCH", received.Method);
        Assert.Equal("patch-body", received.BodyText);
    }

    [Fact]
    public async Task NoOp_LargeBody_IsStreamedBeforeTheBackendFinishes()
    {
        const int Chunk = 64 * 1024;
        const long Total = 64L * 1024 * 1024;
        var pattern = new byte[Chunk];
        for (var i = 0; i < pattern.Length; i++)
        {
            pattern[i] = (byte)((i * 31) + 7);
        }

        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            context.Response.ContentType = "application/octet-stream";
            await context.Response.Body.WriteAsync(pattern, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await release.Task.WaitAsync(Wait, context.RequestAborted);
            for (var written = (long)Chunk; written < Total; written += Chunk)
            {
                await context.Response.Body.WriteAsync(pattern, context.RequestAborted);
            }

            finished.TrySetResult();
        });
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/big", backend.BaseUrl, "/big", "\"output_encoding\":\"no-op\","));

        using var response = await gateway.Client.GetAsync("/big", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[Chunk];
        var first = await stream.ReadAtLeastAsync(buffer, 1).AsTask().WaitAsync(Wait);

        // The backend is still waiting to write the rest: the gateway did not wait for the whole body.
        Assert.False(finished.Task.IsCompleted);
        release.SetResult();

        var received = 0L;
        var read = first;
        while (read > 0)
        {
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != pattern[(received + i) % Chunk])
                {
                    Assert.Fail($"byte {received + i} differs");
                }
            }

            received += read;
            read = await stream.ReadAsync(buffer);
        }

        Assert.Equal(Total, received);
        await finished.Task.WaitAsync(Wait);
    }

    [Fact]
    public async Task NoOp_BackendBreaksMidBody_ClientSeesAnIncompleteResponse()
    {
        await using var backend = RawHttpServer.Start("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000", new string('x', 1000));
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/raw", backend.BaseUrl, "/raw", "\"output_encoding\":\"no-op\","));

        var exception = await Record.ExceptionAsync(async () =>
        {
            using var response = await gateway.Client.GetAsync("/raw", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await response.Content.ReadAsByteArrayAsync();
        });

        // The truncated body must not look complete: the connection is reset instead of ending cleanly
        // (depending on timing, before or after the client has read the headers).
        Assert.True(exception is HttpRequestException or IOException, $"unexpected: {exception}");
    }

    [Fact]
    public async Task NoOp_BackendBreaksBeforeHeaders_Returns500()
    {
        await using var backend = await CapturingBackend.StartAsync(context =>
        {
            context.Abort();
            return Task.CompletedTask;
        });
        await using var gateway = await StartGatewayAsync(backend);

        var response = await gateway.Client.GetAsync("/raw");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("false", response.Headers.GetValues("X-Krakend-Completed").Single());
    }
}
