using System.Net;
using System.Net.Http.Headers;
using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;

namespace FunctionApp.Gateway.Backends.Tests;

/// <summary>
/// Which client headers reach the backend (input_headers), which ones the gateway adds, and which ones never cross:
/// hop-by-hop headers in either direction and the Azure Functions key.
/// </summary>
public sealed class HeaderForwardingTests
{
    private const string UserAgent = "KrakenD Version 2.13.8";

    private static string Config(CapturingBackend backend, string inputHeaders = "", string method = "POST") =>
        Krakend.OneEndpoint("/h", backend.BaseUrl, "/h", $"\"method\":\"{method}\",{(inputHeaders.Length > 0 ? $"\"input_headers\":{inputHeaders}," : string.Empty)}");

    private static HttpRequestMessage Request(HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Post, "/h")
        {
            Content = new StringContent("""{"x":1}""", new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.TryAddWithoutValidation("X-Custom", "custom-value");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer token");
        request.Headers.TryAddWithoutValidation("Cookie", "session=abc");
        request.Headers.TryAddWithoutValidation("User-Agent", "test-agent/1.0");
        request.Headers.TryAddWithoutValidation("Accept", "application/json");
        request.Headers.TryAddWithoutValidation("x-functions-key", "secret-key");
        return request;
    }

    [Fact]
    public async Task InputHeaders_Default_ForwardsOnlyContentType()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Config(backend));

        var response = await gateway.Client.SendAsync(Request());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = backend.OnlyRequest();
        Assert.Equal("application/json", received.Header("Content-Type"));
        Assert.False(received.HasHeader("X-Custom"));
        Assert.False(received.HasHeader("Authorization"));
        Assert.False(received.HasHeader("Cookie"));
        Assert.False(received.HasHeader("Accept"));
        Assert.False(received.HasHeader("x-functions-key"));
        Assert.Equal(UserAgent, received.Header("User-Agent"));
        Assert.False(received.HasHeader("X-Forwarded-Via"));
        Assert.Equal("""{"x":1}""", received.BodyText);
    }

    [Fact]
    public async Task InputHeaders_NamedList_ForwardsOnlyThoseCaseInsensitively()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Config(backend, """["x-CUSTOM","authorization"]"""));

        var response = await gateway.Client.SendAsync(Request());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = backend.OnlyRequest();
        Assert.Equal("custom-value", received.Header("X-Custom"));
        Assert.Equal("Bearer token", received.Header("Authorization"));
        Assert.False(received.HasHeader("Content-Type"));
        Assert.False(received.HasHeader("Cookie"));
        Assert.False(received.HasHeader("Accept"));
        Assert.Equal(UserAgent, received.Header("User-Agent"));
        Assert.Equal("""{"x":1}""", received.BodyText);
    }

    [Fact]
    public async Task InputHeaders_NamedUserAgent_KeepsClientValueAndAddsXForwardedVia()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Config(backend, """["User-Agent"]"""));

        await gateway.Client.SendAsync(Request());

        var received = backend.OnlyRequest();
        Assert.Equal("test-agent/1.0", received.Header("User-Agent"));
        Assert.Equal(UserAgent, received.Header("X-Forwarded-Via"));
    }

    [Fact]
    public async Task InputHeaders_Wildcard_ForwardsEverythingButTheFunctionKey()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Config(backend, """["*"]"""));

        var response = await gateway.Client.SendAsync(Request());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = backend.OnlyRequest();
        Assert.Equal("application/json", received.Header("Content-Type"));
        Assert.Equal("custom-value", received.Header("X-Custom"));
        Assert.Equal("Bearer token", received.Header("Authorization"));
        Assert.Equal("session=abc", received.Header("Cookie"));
        Assert.Equal("application/json", received.Header("Accept"));
        Assert.Equal("test-agent/1.0", received.Header("User-Agent"));
        Assert.Equal(UserAgent, received.Header("X-Forwarded-Via"));
        Assert.Equal("7", received.Header("Content-Length"));
        Assert.False(received.HasHeader("x-functions-key"));
    }

    [Fact]
    public async Task InputHeaders_FunctionKeyListedByName_IsStillNotForwarded()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Config(backend, """["x-functions-key","X-Custom"]"""));

        await gateway.Client.SendAsync(Request());

        var received = backend.OnlyRequest();
        Assert.False(received.HasHeader("x-functions-key"));
        Assert.Equal("custom-value", received.Header("X-Custom"));
    }

    [Fact]
    public async Task InputHeaders_RepeatedHeader_ForwardsEveryValue()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Config(backend, """["X-Multi"]""", method: "GET"));

        var response = await RawHttp.SendAsync(gateway.Port, "GET /h HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nX-Multi: one\r\nX-Multi: two");

        Assert.Equal(200, response.Status);
        Assert.Equal("one, two", backend.OnlyRequest().Header("X-Multi"));
    }

    [Fact]
    public async Task ForwardedHeaders_AreSetFromTheClientConnection()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Config(backend, method: "GET"));

        await gateway.Client.GetAsync("/h");

        var received = backend.OnlyRequest();
        Assert.Equal("127.0.0.1", received.Header("X-Forwarded-For"));
        Assert.Equal($"127.0.0.1:{gateway.Port}", received.Header("X-Forwarded-Host"));
        Assert.Equal("1.1 serverless-gateway", received.Header("Via"));
        Assert.Equal(UserAgent, received.Header("User-Agent"));
    }

    [Fact]
    public async Task ForwardedHeaders_FromLoopbackProxy_AreBelievedAndNotDuplicated()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Config(backend, """["*"]""", method: "GET"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/h");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "198.51.100.1, 203.0.113.9");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", "api.example.com");
        request.Headers.TryAddWithoutValidation("Via", "1.1 front-door");

        await gateway.Client.SendAsync(request);

        var received = backend.OnlyRequest();
        Assert.Equal("203.0.113.9", received.Header("X-Forwarded-For"));
        Assert.Equal("api.example.com", received.Header("X-Forwarded-Host"));
        Assert.Equal("1.1 front-door, 1.1 serverless-gateway", received.Header("Via"));
    }

    /// <remarks>
    /// Kestrel rewrites a request's Connection header to just <c>close</c> or <c>keep-alive</c> when it holds either
    /// token, so other names listed next to them cannot be seen by the gateway; this test names a header alone.
    /// </remarks>
    [Fact]
    public async Task HopByHopHeaders_FromClient_AreNotForwardedEvenWithWildcard()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Config(backend, """["*"]""", method: "GET"));

        var response = await RawHttp.SendAsync(
            gateway.Port,
            "GET /h HTTP/1.1\r\nHost: gw\r\nConnection: X-Hop-Custom\r\nX-Hop-Custom: private\r\nKeep-Alive: timeout=5\r\n"
            + "TE: trailers\r\nUpgrade: websocket\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\nProxy-Connection: keep-alive\r\n"
            + "Trailer: X-Trailer\r\nX-End-To-End: kept");

        Assert.Equal(200, response.Status);
        var received = backend.OnlyRequest();
        Assert.Equal("kept", received.Header("X-End-To-End"));
        foreach (var name in new[] { "X-Hop-Custom", "Keep-Alive", "TE", "Upgrade", "Proxy-Authorization", "Proxy-Connection", "Trailer", "Transfer-Encoding" })
        {
            Assert.False(received.HasHeader(name), $"{name} reached the backend");
        }

        Assert.DoesNotContain("X-Hop-Custom", received.Header("Connection") ?? string.Empty, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task HopByHopHeaders_ChunkedClientBody_IsReChunkedOnceAndIntact()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Config(backend, """["*"]"""));

        var response = await RawHttp.SendAsync(
            gateway.Port,
            "POST /h HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked",
            "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"u8.ToArray());

        Assert.Equal(200, response.Status);
        var received = backend.OnlyRequest();
        Assert.Equal("hello world", received.BodyText);
        Assert.Equal("chunked", received.Header("Transfer-Encoding"));
        Assert.False(received.HasHeader("Content-Length"));
        Assert.Equal("text/plain", received.Header("Content-Type"));
    }

    [Fact]
    public async Task HopByHopHeaders_FromNoOpBackend_AreNotPassedToTheClient()
    {
        await using var backend = RawHttpServer.Start(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close, X-Back-Hop\r\nX-Back-Hop: private\r\n"
            + "Keep-Alive: timeout=5, max=100\r\nProxy-Authenticate: Basic realm=\"x\"\r\nUpgrade: h2c\r\nTrailer: X-Trailer\r\n"
            + "Proxy-Connection: keep-alive\r\nX-End-To-End: kept",
            "hello");
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/h", backend.BaseUrl, "/h", "\"output_encoding\":\"no-op\","));

        var response = await RawHttp.SendAsync(gateway.Port, "GET /h HTTP/1.1\r\nHost: gw\r\nConnection: close");

        Assert.Equal(200, response.Status);
        Assert.Equal("hello", response.BodyText);
        Assert.Equal("kept", Assert.Single(response.Values("X-End-To-End")));
        Assert.Equal("5", Assert.Single(response.Values("Content-Length")));
        foreach (var name in new[] { "X-Back-Hop", "Keep-Alive", "Proxy-Authenticate", "Upgrade", "Trailer", "Proxy-Connection", "Transfer-Encoding" })
        {
            Assert.False(response.Has(name), $"{name} reached the client");
        }

        Assert.All(response.Values("Connection"), value => Assert.DoesNotContain("X-Back-Hop", value, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task ResponseHeaders_FromJsonBackend_AreDropped()
    {
        await using var backend = await CapturingBackend.StartAsync(context =>
        {
            context.Response.Headers.SetCookie = new(["a=1", "b=2"]);
            context.Response.Headers["X-Backend"] = "yes";
            return CapturingBackend.RespondJsonAsync(context, """{"ok":true}""");
        });
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/h", backend.BaseUrl, "/h"));

        var response = await gateway.Client.GetAsync("/h");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.False(response.Headers.Contains("X-Backend"));
    }
}
