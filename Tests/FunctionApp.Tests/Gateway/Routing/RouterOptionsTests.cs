using System.Net;
using FunctionApp.Gateway.Configuration;
using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Hosting;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Builder;

namespace FunctionApp.Gateway.Routing.Tests;

/// <summary>
/// The <c>router</c> options, end to end: gin's trailing-slash and fixed-path redirects (301 for GET, 307 for the
/// rest, query kept), the switches that turn them and the 405 into 404s, <c>auto_options</c>,
/// <c>disable_path_decoding</c>, <c>hide_version_header</c>, and the reported version.
/// </summary>
public sealed class RouterOptionsTests
{
    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) :
        response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(", ", contentValues) : null;

    /// <summary>GET /a, POST /a, GET /users/{id}, PUT /Mixed/Case, DELETE /items/{id}/tags.</summary>
    private static string Endpoints(string host) =>
        Krakend.Endpoint("/a", host, "/a") + ","
        + Krakend.Endpoint("/a", host, "/a", "\"method\":\"POST\",") + ","
        + Krakend.Endpoint("/users/{id}", host, "/users/{id}") + ","
        + Krakend.Endpoint("/Mixed/Case", host, "/mixed", "\"method\":\"PUT\",") + ","
        + Krakend.Endpoint("/items/{id}/tags", host, "/tags/{id}", "\"method\":\"DELETE\",");

    private static HttpRequestMessage Request(string method, string target)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), target);
        if (method is "POST" or "PUT")
        {
            request.Content = new StringContent("{}");
        }

        return request;
    }

    /// <summary>method, request target → status and Location of gin's redirect.</summary>
    public static TheoryData<string, string, int, string> RedirectCases => new()
    {
        // Trailing slash: removed (or added) with the query string kept.
        { "GET", "/a/", 301, "/a" },
        { "GET", "/a/?x=1&y=two", 301, "/a?x=1&y=two" },
        { "POST", "/a/", 307, "/a" },
        { "POST", "/a/?q=%2F", 307, "/a?q=%2F" },
        { "GET", "/users/42/", 301, "/users/42" },
        { "DELETE", "/items/9/tags/?all=1", 307, "/items/9/tags?all=1" },

        // Fixed path: a case-insensitive match is redirected to the configured spelling, parameters untouched.
        { "GET", "/A", 301, "/a" },
        { "GET", "/A?x=1", 301, "/a?x=1" },
        { "POST", "/A", 307, "/a" },
        { "GET", "/USERS/Ab", 301, "/users/Ab" },
        { "PUT", "/mixed/case", 307, "/Mixed/Case" },
        { "PUT", "/MIXED/CASE?z=9", 307, "/Mixed/Case?z=9" },
        { "DELETE", "/Items/5/TAGS", 307, "/items/5/tags" },
    };

    [Theory]
    [MemberData(nameof(RedirectCases))]
    public async Task Redirect_TrailingSlashOrCase_RedirectsLikeGin(string method, string target, int expectedStatus, string expectedLocation)
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(Endpoints(backend.BaseUrl)));

        var response = await gateway.Client.SendAsync(Request(method, target));

        Assert.Equal(expectedStatus, (int)response.StatusCode);
        Assert.Equal(expectedLocation, response.Headers.Location?.OriginalString);
        Assert.Empty(backend.Requests);
    }

    [Theory]
    [InlineData("GET", "/a/")]
    [InlineData("POST", "/a/?q=1")]
    [InlineData("GET", "/users/42/")]
    public async Task Redirect_TrailingSlashDisabled_Returns404(string method, string target)
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(Endpoints(backend.BaseUrl), Krakend.Router("\"disable_redirect_trailing_slash\":true")));

        var response = await gateway.Client.SendAsync(Request(method, target));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("404 page not found", await response.Content.ReadAsStringAsync());
        Assert.Null(response.Headers.Location);
        Assert.Empty(backend.Requests);
    }

    [Theory]
    [InlineData("GET", "/A")]
    [InlineData("POST", "/A")]
    [InlineData("PUT", "/mixed/case")]
    public async Task Redirect_FixedPathDisabled_Returns404(string method, string target)
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(Endpoints(backend.BaseUrl), Krakend.Router("\"disable_redirect_fixed_path\":true")));

        var response = await gateway.Client.SendAsync(Request(method, target));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("404 page not found", await response.Content.ReadAsStringAsync());
        Assert.Empty(backend.Requests);
    }

    [Fact]
    public async Task Redirect_OneDisabled_TheOtherStillWorks()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var noSlash = await TestGateway.StartAsync(Krakend.Config(Endpoints(backend.BaseUrl), Krakend.Router("\"disable_redirect_trailing_slash\":true")));
        await using var noCase = await TestGateway.StartAsync(Krakend.Config(Endpoints(backend.BaseUrl), Krakend.Router("\"disable_redirect_fixed_path\":true")));

        var caseFixed = await noSlash.Client.GetAsync("/A");
        var slashFixed = await noCase.Client.GetAsync("/a/");

        Assert.Equal(HttpStatusCode.MovedPermanently, caseFixed.StatusCode);
        Assert.Equal("/a", caseFixed.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.MovedPermanently, slashFixed.StatusCode);
        Assert.Equal("/a", slashFixed.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Redirect_MethodWithoutRouteOnTheOtherSpelling_IsNotRedirected()
    {
        // /a/ exists for GET and POST only: a PATCH to /a/ has nothing to be redirected to.
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(Endpoints(backend.BaseUrl)));

        var response = await gateway.Client.SendAsync(Request("PATCH", "/a/"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Theory]
    [InlineData(false, 405)]
    [InlineData(true, 404)]
    public async Task MethodNotAllowed_DisableHandleMethodNotAllowed_Returns404Instead(bool disabled, int expectedStatus)
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(
            Endpoints(backend.BaseUrl), disabled ? Krakend.Router("\"disable_handle_method_not_allowed\":true") : string.Empty));

        var response = await gateway.Client.DeleteAsync("/a");

        Assert.Equal(expectedStatus, (int)response.StatusCode);
        Assert.Equal(disabled ? "404 page not found" : "405 method not allowed", await response.Content.ReadAsStringAsync());
        Assert.Equal(disabled ? null : "GET, POST", Header(response, "Allow"));
        Assert.Equal("Version 2.13.8", Header(response, "X-Krakend"));
        Assert.Equal("false", Header(response, "X-Krakend-Completed"));
        Assert.Empty(backend.Requests);
    }

    /// <summary>path → the Allow header of the automatic OPTIONS answer (sorted, as lura joins them).</summary>
    [Theory]
    [InlineData("/a", "GET, POST")]
    [InlineData("/users/7", "GET")]
    [InlineData("/Mixed/Case", "PUT")]
    [InlineData("/items/1/tags", "DELETE")]
    public async Task AutoOptions_KnownPath_Answers200WithAllow(string path, string expectedAllow)
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(Endpoints(backend.BaseUrl), Krakend.Router("\"auto_options\":true")));

        var response = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, path));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expectedAllow, Header(response, "Allow"));
        Assert.Equal("Version 2.13.8", Header(response, "X-Krakend"));
        Assert.Equal(string.Empty, await response.Content.ReadAsStringAsync());
        Assert.Empty(backend.Requests);
    }

    [Fact]
    public async Task AutoOptions_UnknownPathOrOff_IsNotAnswered()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var on = await TestGateway.StartAsync(Krakend.Config(Endpoints(backend.BaseUrl), Krakend.Router("\"auto_options\":true")));
        await using var off = await TestGateway.StartAsync(Krakend.Config(Endpoints(backend.BaseUrl)));

        var unknown = await on.Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/nope"));
        var disabled = await off.Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/a"));

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, disabled.StatusCode);
        Assert.Empty(backend.Requests);
    }

    [Fact]
    public async Task AutoOptions_OtherMethodsStillProxied()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(Endpoints(backend.BaseUrl), Krakend.Router("\"auto_options\":true")));

        var response = await gateway.Client.GetAsync("/a");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("GET", backend.OnlyRequest().Method);
    }

    /// <summary>disable_path_decoding, request target → status and (when proxied) the backend's request target.</summary>
    [Theory]
    [InlineData(false, "/users/a%2Fb", 400, null)]
    [InlineData(false, "/users/a%252Fb", 400, null)]
    [InlineData(true, "/users/a%2Fb", 200, "/users/a%252Fb")]
    [InlineData(true, "/users/a%252Fb", 200, "/users/a%252Fb")]
    [InlineData(true, "/users/plain", 200, "/users/plain")]
    [InlineData(true, "/users/%252E%252E", 200, "/users/%252E%252E")]
    [InlineData(true, "/users/%2E%2E", 404, null)]
    [InlineData(true, "/users/..", 404, null)]
    public async Task PathDecoding_Disabled_LetsEncodedParamsThroughEscaped(bool disabled, string target, int expectedStatus, string? expectedBackendTarget)
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(
            Endpoints(backend.BaseUrl), disabled ? Krakend.Router("\"disable_path_decoding\":true") : string.Empty));

        var response = await RawHttp.SendAsync(gateway.Port, $"GET {target} HTTP/1.1\r\nHost: gateway.test\r\nConnection: close");

        Assert.True(expectedStatus == response.Status, $"{target}: status {response.Status} {response.BodyText}");
        if (expectedBackendTarget is null)
        {
            Assert.Empty(backend.Requests);
            return;
        }

        var received = backend.OnlyRequest();
        Assert.Equal(expectedBackendTarget, received.RawTarget);
        Assert.DoesNotContain('/', received.RawTarget["/users/".Length..]);
    }

    [Fact]
    public async Task HideVersionHeader_ReportsVersionUndefinedEverywhere()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(Endpoints(backend.BaseUrl), Krakend.Router("\"hide_version_header\":true,\"auto_options\":true")));

        var ok = await gateway.Client.GetAsync("/a");
        var notFound = await gateway.Client.GetAsync("/nope");
        var notAllowed = await gateway.Client.DeleteAsync("/a");
        var options = await gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/a"));

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        foreach (var response in new[] { ok, notFound, notAllowed, options })
        {
            Assert.Equal("Version undefined", Header(response, "X-Krakend"));
        }

        // The User-Agent sent to backends keeps the version: the option is about the response header.
        Assert.Equal("KrakenD Version 2.13.8", backend.OnlyRequest().Header("User-Agent"));
    }

    [Fact]
    public async Task Version_FromTheBuilder_IsReportedToClientsAndBackends()
    {
        await using var backend = await CapturingBackend.StartAsync();
        var json = Krakend.Config(Endpoints(backend.BaseUrl) + "," + Krakend.Endpoint("/ua", backend.BaseUrl, "/ua", "\"input_headers\":[\"User-Agent\"],"));
        var config = ConfigLoader.Parse(json, out var problems);
        Assert.Empty(problems);
        var model = GatewayModelBuilder.Build(config!, out var errors, version: "9.9.9");
        Assert.Empty(errors);
        await using var gateway = await ModelGateway.StartAsync(model!);

        var ok = await gateway.Client.GetAsync("/a");
        var notFound = await gateway.Client.GetAsync("/nope");
        using var withAgent = new HttpRequestMessage(HttpMethod.Get, "/ua");
        withAgent.Headers.TryAddWithoutValidation("User-Agent", "client/1.0");
        var forwarded = await gateway.Client.SendAsync(withAgent);

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("Version 9.9.9", Header(ok, "X-Krakend"));
        Assert.Equal("Version 9.9.9", Header(notFound, "X-Krakend"));
        Assert.Equal(HttpStatusCode.OK, forwarded.StatusCode);
        Assert.Equal("Version 9.9.9", Header(forwarded, "X-Krakend"));
        Assert.Equal("KrakenD Version 9.9.9", backend.Requests[0].Header("User-Agent"));
        Assert.Null(backend.Requests[0].Header("X-Forwarded-Via"));

        // A forwarded client User-Agent is kept; the gateway's goes into X-Forwarded-Via.
        Assert.Equal("client/1.0", backend.Requests[1].Header("User-Agent"));
        Assert.Equal("KrakenD Version 9.9.9", backend.Requests[1].Header("X-Forwarded-Via"));
    }

    [Theory]
    [InlineData(null, "2.13.8")]
    [InlineData("", "2.13.8")]
    [InlineData("  ", "2.13.8")]
    [InlineData(" 2.7.0 ", "2.7.0")]
    public void Version_BlankOrPadded_FallsBackOrIsTrimmed(string? version, string expected)
    {
        var config = ConfigLoader.Parse(Krakend.Config(string.Empty), out _);

        var model = GatewayModelBuilder.Build(config!, out _, version);

        Assert.Equal("Version " + expected, model!.Router.VersionHeader);
        Assert.Equal("KrakenD Version " + expected, model.Router.UserAgent);
    }

    /// <summary>The gateway started from an already built model (TestGateway starts from JSON).</summary>
    private sealed class ModelGateway : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private ModelGateway(WebApplication app)
        {
            _app = app;
            var port = new Uri(app.Urls.First()).Port;
            Client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false })
            {
                BaseAddress = new Uri($"http://127.0.0.1:{port}"),
                Timeout = TimeSpan.FromSeconds(30),
            };
        }

        public HttpClient Client { get; }

        public static async Task<ModelGateway> StartAsync(GatewayModel model)
        {
            var app = GatewayHost.Build(model, new HostingMode { Name = "standalone", ListenOn = new IPEndPoint(IPAddress.Loopback, 0), AnswersHostProbe = false });
            await app.StartAsync();
            return new ModelGateway(app);
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
            {
                await _app.StopAsync(stop.Token);
            }

            await _app.DisposeAsync();
        }
    }
}
