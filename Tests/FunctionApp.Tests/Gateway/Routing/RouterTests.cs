using System.Net;
using System.Text.Json;
using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;

namespace FunctionApp.Gateway.Routing.Tests;

/// <summary>The router in front of the endpoints: 404/405 answers, the built-in endpoints, and route precedence.</summary>
public sealed class RouterTests
{
    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;

    [Fact]
    public async Task UnknownPath_Returns404PageNotFoundWithKrakendHeaders()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/known", backend.BaseUrl, "/known"));

        var response = await gateway.Client.GetAsync("/unknown");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("404 page not found", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("Version 2.13.8", Header(response, "X-Krakend"));
        Assert.Equal("false", Header(response, "X-Krakend-Completed"));
        Assert.Empty(backend.Requests);
    }

    [Theory]
    [InlineData("/known/extra")]
    [InlineData("/kno")]
    [InlineData("/")]
    public async Task UnknownPath_NearMisses_Return404(string path)
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/known", backend.BaseUrl, "/known"));

        var response = await gateway.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(backend.Requests);
    }

    [Fact]
    public async Task KnownPath_WrongMethod_Returns405WithAllow()
    {
        await using var backend = await CapturingBackend.StartAsync();
        var config = Krakend.Config(
            Krakend.Endpoint("/items", backend.BaseUrl, "/items") + ","
            + Krakend.Endpoint("/items", backend.BaseUrl, "/items", "\"method\":\"POST\","));
        await using var gateway = await TestGateway.StartAsync(config);

        var response = await gateway.Client.DeleteAsync("/items");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("405 method not allowed", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(["GET", "POST"], response.Content.Headers.Allow.Order(StringComparer.Ordinal));
        Assert.Equal("Version 2.13.8", Header(response, "X-Krakend"));
        Assert.Equal("false", Header(response, "X-Krakend-Completed"));
        Assert.Empty(backend.Requests);
    }

    [Fact]
    public async Task KnownPath_EachMethod_ReachesItsOwnBackendPattern()
    {
        await using var backend = await CapturingBackend.StartAsync();
        var config = Krakend.Config(
            Krakend.Endpoint("/items", backend.BaseUrl, "/list") + ","
            + Krakend.Endpoint("/items", backend.BaseUrl, "/create", "\"method\":\"POST\","));
        await using var gateway = await TestGateway.StartAsync(config);

        await gateway.Client.GetAsync("/items");
        await gateway.Client.PostAsync("/items", new StringContent("{}"));

        Assert.Equal(["GET /list", "POST /create"], backend.Requests.Select(r => $"{r.Method} {r.RawTarget}"));
    }

    [Fact]
    public async Task Health_Default_ReturnsStatusOkJson()
    {
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(string.Empty));

        var response = await gateway.Client.GetAsync("/__health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var body = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("{\"agents\":{},\"now\":\"", body, StringComparison.Ordinal);
        Assert.EndsWith("\",\"status\":\"ok\"}", body, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("ok", json.RootElement.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Object, json.RootElement.GetProperty("agents").ValueKind);
        Assert.True(DateTimeOffset.TryParse(json.RootElement.GetProperty("now").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
    }

    [Fact]
    public async Task Health_CustomPath_MovesTheEndpoint()
    {
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(string.Empty, Krakend.Router("\"health_path\":\"/healthz\"")));

        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.Client.GetAsync("/__health")).StatusCode);
    }

    [Fact]
    public async Task Health_Disabled_Returns404()
    {
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(string.Empty, Krakend.Router("\"disable_health\":true")));

        Assert.Equal(HttpStatusCode.NotFound, (await gateway.Client.GetAsync("/__health")).StatusCode);
    }

    [Theory]
    [InlineData("/__debug/")]
    [InlineData("/__debug/anything")]
    [InlineData("/__echo/")]
    [InlineData("/__echo/x")]
    public async Task DebugAndEcho_NotEnabled_Return404(string path)
    {
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(string.Empty));

        var response = await gateway.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("404 page not found", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("GET", "/__debug/")]
    [InlineData("POST", "/__debug/some/path")]
    [InlineData("DELETE", "/__debug")]
    public async Task Debug_Enabled_AnswersPongToAnyMethod(string method, string path)
    {
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(string.Empty, "\"debug_endpoint\":true,"));

        var response = await gateway.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"message":"pong"}""", await response.Content.ReadAsStringAsync());
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task Echo_Enabled_DescribesTheRequest()
    {
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(string.Empty, "\"echo_endpoint\":true,"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/__echo/a/b?x=1&x=2&y=3") { Content = new StringContent("hello echo") };
        request.Headers.TryAddWithoutValidation("X-Test", "value");

        var response = await gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal("/__echo/a/b?x=1&x=2&y=3", root.GetProperty("req_uri").GetString());
        Assert.Equal("POST", root.GetProperty("req_method").GetString());
        Assert.Equal("hello echo", root.GetProperty("req_body").GetString());
        Assert.Equal("/__echo/a/b", root.GetProperty("req_uri_details").GetProperty("path").GetString());
        Assert.Equal(["1", "2"], root.GetProperty("req_querystring").GetProperty("x").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("value", root.GetProperty("req_headers").GetProperty("X-Test")[0].GetString());
    }

    [Fact]
    public async Task Routes_LiteralSegment_WinsOverParameter()
    {
        await using var backend = await CapturingBackend.StartAsync();
        var config = Krakend.Config(
            Krakend.Endpoint("/users/{id}", backend.BaseUrl, "/by-id/{id}") + ","
            + Krakend.Endpoint("/users/me", backend.BaseUrl, "/current-user"));
        await using var gateway = await TestGateway.StartAsync(config);

        await gateway.Client.GetAsync("/users/me");
        await gateway.Client.GetAsync("/users/42");
        await gateway.Client.GetAsync("/users/mee");

        Assert.Equal(["/current-user", "/by-id/42", "/by-id/mee"], backend.Requests.Select(r => r.RawTarget));
    }

    [Fact]
    public async Task Routes_LiteralDeadEnd_BacktracksToParameter()
    {
        await using var backend = await CapturingBackend.StartAsync();
        var config = Krakend.Config(
            Krakend.Endpoint("/users/me", backend.BaseUrl, "/current-user") + ","
            + Krakend.Endpoint("/users/{id}/orders", backend.BaseUrl, "/orders/{id}"));
        await using var gateway = await TestGateway.StartAsync(config);

        var response = await gateway.Client.GetAsync("/users/me/orders");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/orders/me", backend.OnlyRequest().RawTarget);
    }

    [Fact]
    public async Task Routes_RootEndpoint_IsProxiedInStandaloneMode()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/", backend.BaseUrl, "/home"));

        var response = await gateway.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/home", backend.OnlyRequest().RawTarget);
    }
}
