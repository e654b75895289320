using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Http;

namespace FunctionApp.Gateway.Backends.Tests;

/// <summary>
/// Backend redirects are followed as Go's http.Client does: 301/302/303 become a GET without body, 307/308 keep
/// the method and body only when <c>backend/http/client.send_body_on_redirect</c> lets the body be sent again
/// (otherwise the 307/308 itself is the backend's answer: an error), <c>Referer</c> is set, relative locations
/// resolve against the current URL, credentials do not cross hosts, and a loop stops after 10 requests.
/// </summary>
public sealed class BackendRedirectTests
{
    private const string RequestBody = """{"name":"widget"}""";

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>A backend that answers <paramref name="startPath"/> with a redirect to <paramref name="location"/> and everything else with 200 JSON.</summary>
    private static Task<CapturingBackend> RedirectingBackend(int status, string location, string startPath = "/start") =>
        CapturingBackend.StartAsync(context =>
        {
            if (context.Request.Path == startPath)
            {
                context.Response.StatusCode = status;
                context.Response.Headers.Location = location;
                return Task.CompletedTask;
            }

            return CapturingBackend.RespondJsonAsync(context, """{"final":true}""");
        });

    private static string SendBodyOnRedirect(bool on) =>
        on ? "\"extra_config\":{\"backend/http/client\":{\"send_body_on_redirect\":true}}," : string.Empty;

    private static HttpRequestMessage Request(string method, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method != "GET")
        {
            request.Content = new StringContent(RequestBody, new MediaTypeHeaderValue("application/json"));
        }

        return request;
    }

    /// <summary>client method, redirect status, send_body_on_redirect → client status, method and body at the target (null: never reached).</summary>
    public static TheoryData<string, int, bool, int, string?, string> FollowCases => new()
    {
        { "POST", 301, false, 200, "GET", "" },
        { "POST", 302, false, 200, "GET", "" },
        { "POST", 303, false, 200, "GET", "" },
        { "PUT", 302, false, 200, "GET", "" },
        { "PATCH", 303, false, 200, "GET", "" },
        { "POST", 303, true, 200, "GET", "" },
        { "POST", 307, false, 500, null, "" },
        { "POST", 308, false, 500, null, "" },
        { "PUT", 307, false, 500, null, "" },
        { "POST", 307, true, 200, "POST", RequestBody },
        { "POST", 308, true, 200, "POST", RequestBody },
        { "PUT", 308, true, 200, "PUT", RequestBody },
        { "DELETE", 307, true, 200, "DELETE", RequestBody },
        { "GET", 301, false, 200, "GET", "" },
        { "GET", 302, false, 200, "GET", "" },
        { "GET", 307, false, 200, "GET", "" },
        { "GET", 308, false, 200, "GET", "" },
    };

    [Theory]
    [MemberData(nameof(FollowCases))]
    public async Task Redirect_ByStatusAndMethod_IsFollowedLikeGo(string method, int status, bool sendBodyOnRedirect, int expectedStatus, string? expectedMethod, string expectedBody)
    {
        await using var backend = await RedirectingBackend(status, "/final?from=start");
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint(
            "/start", backend.BaseUrl, "/start", $"\"method\":\"{method}\",", SendBodyOnRedirect(sendBodyOnRedirect)));

        var response = await gateway.Client.SendAsync(Request(method, "/start"));

        Assert.Equal(expectedStatus, (int)response.StatusCode);
        var requests = backend.Requests;
        Assert.Equal(method, requests[0].Method);
        Assert.Equal("/start", requests[0].RawTarget);
        Assert.Equal(method == "GET" ? string.Empty : RequestBody, requests[0].BodyText);
        if (expectedMethod is null)
        {
            // The 307/308 could not be followed: it is the backend's answer, and not a 200/201.
            Assert.Single(requests);
            Assert.Equal(string.Empty, await response.Content.ReadAsStringAsync());
            Assert.Null(response.Headers.Location);
            return;
        }

        Assert.Equal("""{"final":true}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(2, requests.Count);
        var final = requests[1];
        Assert.Equal(expectedMethod, final.Method);
        Assert.Equal("/final?from=start", final.RawTarget);
        Assert.Equal(expectedBody, final.BodyText);
        Assert.Equal(expectedBody.Length > 0 ? "application/json" : null, final.Header("Content-Type"));
        Assert.Equal($"{backend.BaseUrl}/start", final.Header("Referer"));
        Assert.Equal("KrakenD Version 2.13.8", final.Header("User-Agent"));
    }

    [Fact]
    public async Task Redirect_307WithoutReplayableBodyAndReturnErrorCode_GivesTheClientThe307WithoutLocation()
    {
        await using var backend = await RedirectingBackend(307, "/final");
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint(
            "/start", backend.BaseUrl, "/start", "\"method\":\"POST\",", "\"extra_config\":{\"backend/http\":{\"return_error_code\":true}},"));

        var response = await gateway.Client.SendAsync(Request("POST", "/start"));

        Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Single(backend.Requests);
    }

    /// <summary>Location as the backend wrote it (PORT stands for its port) → the request target that reached the backend next.</summary>
    [Theory]
    [InlineData("/final", "/final")]
    [InlineData("final", "/dir/final")]
    [InlineData("../up/final?x=1&y=%2F", "/up/final?x=1&y=%2F")]
    [InlineData("./final#fragment", "/dir/final")]
    [InlineData("//127.0.0.1:PORT/scheme-relative", "/scheme-relative")]
    [InlineData("http://127.0.0.1:PORT/absolute", "/absolute")]
    public async Task Redirect_RelativeOrAbsoluteLocation_ResolvesAgainstTheBackendUrl(string location, string expectedTarget)
    {
        var port = 0;
        await using var backend = await CapturingBackend.StartAsync(context =>
        {
            if (context.Request.Path == "/dir/start")
            {
                context.Response.StatusCode = 302;
                context.Response.Headers.Location = location.Replace("PORT", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
                return Task.CompletedTask;
            }

            return CapturingBackend.RespondJsonAsync(context, """{"final":true}""");
        });
        port = backend.Port;
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/go", backend.BaseUrl, "/dir/start"));

        var response = await gateway.Client.GetAsync("/go");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["/dir/start", expectedTarget], backend.Requests.Select(r => r.RawTarget));
        Assert.Equal($"{backend.BaseUrl}/dir/start", backend.Requests[1].Header("Referer"));
    }

    [Fact]
    public async Task Redirect_Chain_SetsRefererToThePreviousHop()
    {
        await using var backend = await CapturingBackend.StartAsync(context =>
        {
            var path = context.Request.Path.Value!;
            if (path.StartsWith("/hop", StringComparison.Ordinal))
            {
                var n = int.Parse(path["/hop".Length..], System.Globalization.CultureInfo.InvariantCulture);
                context.Response.StatusCode = n % 2 == 0 ? 302 : 307;
                context.Response.Headers.Location = n == 3 ? "/end" : $"/hop{n + 1}?n={n}";
                return Task.CompletedTask;
            }

            return CapturingBackend.RespondJsonAsync(context, """{"end":true}""");
        });
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/chain", backend.BaseUrl, "/hop0"));

        var response = await gateway.Client.GetAsync("/chain");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["/hop0", "/hop1?n=0", "/hop2?n=1", "/hop3?n=2", "/end"], backend.Requests.Select(r => r.RawTarget));
        Assert.Equal(
            [null, $"{backend.BaseUrl}/hop0", $"{backend.BaseUrl}/hop1?n=0", $"{backend.BaseUrl}/hop2?n=1", $"{backend.BaseUrl}/hop3?n=2"],
            backend.Requests.Select(r => r.Header("Referer")));
    }

    [Theory]
    [InlineData(302, false)]
    [InlineData(307, false)]
    [InlineData(301, true)]
    public async Task Redirect_Loop_StopsAfterTenRequestsWithAnError(int status, bool returnErrorMsg)
    {
        await using var backend = await CapturingBackend.StartAsync(context =>
        {
            context.Response.StatusCode = status;
            context.Response.Headers.Location = "/loop?n=" + context.Request.Query["n"] + "x";
            return Task.CompletedTask;
        });
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint(
            "/loop", backend.BaseUrl, "/loop", "\"timeout\":\"10s\",",
            service: returnErrorMsg ? Krakend.Router("\"return_error_msg\":true") : string.Empty));
        var clock = Stopwatch.StartNew();

        var response = await gateway.Client.GetAsync("/loop");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.Equal(BackendProxy.MaxRedirects, backend.Requests.Count);
        var body = await response.Content.ReadAsStringAsync();
        if (returnErrorMsg)
        {
            Assert.Contains("stopped after 10 redirects", body, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(string.Empty, body);
        }
    }

    [Fact]
    public async Task Redirect_NinthHopThenSuccess_IsStillFollowed()
    {
        // Nine redirects and a final answer: ten requests, the most Go's client makes.
        await using var backend = await CapturingBackend.StartAsync(context =>
        {
            var n = int.Parse(context.Request.Query["n"].ToString() is { Length: > 0 } text ? text : "0", System.Globalization.CultureInfo.InvariantCulture);
            if (n < 9)
            {
                context.Response.StatusCode = 302;
                context.Response.Headers.Location = $"/r?n={n + 1}";
                return Task.CompletedTask;
            }

            return CapturingBackend.RespondJsonAsync(context, """{"hops":9}""");
        });
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/r", backend.BaseUrl, "/r"));

        var response = await gateway.Client.GetAsync("/r");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"hops":9}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(10, backend.Requests.Count);
    }

    [Theory]
    [InlineData(302)]
    [InlineData(307)]
    public async Task Redirect_ToAnotherHost_DropsCredentialsButKeepsOtherHeaders(int status)
    {
        await using var other = await CapturingBackend.StartAsync("""{"other":true}""");
        await using var first = await RedirectingBackend(status, $"{other.BaseUrl}/landing");
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint(
            "/start", first.BaseUrl, "/start", "\"input_headers\":[\"Authorization\",\"Cookie\",\"X-Custom\"],"));
        using var request = Request("GET", "/start");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer secret");
        request.Headers.TryAddWithoutValidation("Cookie", "session=abc");
        request.Headers.TryAddWithoutValidation("X-Custom", "kept");

        var response = await gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"other":true}""", await response.Content.ReadAsStringAsync());
        var original = first.OnlyRequest();
        Assert.Equal("Bearer secret", original.Header("Authorization"));
        Assert.Equal("session=abc", original.Header("Cookie"));
        var landed = other.OnlyRequest();
        Assert.Equal("/landing", landed.RawTarget);
        Assert.False(landed.HasHeader("Authorization"));
        Assert.False(landed.HasHeader("Cookie"));
        Assert.Equal("kept", landed.Header("X-Custom"));
        Assert.Equal($"{first.BaseUrl}/start", landed.Header("Referer"));
        Assert.Equal("KrakenD Version 2.13.8", landed.Header("User-Agent"));
    }

    [Fact]
    public async Task Redirect_AwayAndBackToTheOriginalHost_StillHasNoCredentials()
    {
        // Go's client stops sending credentials for good once a hop left the original host.
        CapturingBackend? first = null;
        await using var other = await CapturingBackend.StartAsync(context =>
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = $"{first!.BaseUrl}/back";
            return Task.CompletedTask;
        });
        first = await CapturingBackend.StartAsync(context =>
        {
            if (context.Request.Path == "/start")
            {
                context.Response.StatusCode = 302;
                context.Response.Headers.Location = $"{other.BaseUrl}/away";
                return Task.CompletedTask;
            }

            return CapturingBackend.RespondJsonAsync(context, """{"back":true}""");
        });
        await using var firstBackend = first;
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint(
            "/start", first.BaseUrl, "/start", "\"input_headers\":[\"Authorization\"],"));
        using var request = Request("GET", "/start");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer secret");

        var response = await gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["/start", "/back"], first.Requests.Select(r => r.RawTarget));
        Assert.Equal("Bearer secret", first.Requests[0].Header("Authorization"));
        Assert.False(other.OnlyRequest().HasHeader("Authorization"));
        Assert.False(first.Requests[1].HasHeader("Authorization"));
    }

    [Fact]
    public async Task Redirect_OnTheSameHost_KeepsCredentials()
    {
        await using var backend = await RedirectingBackend(302, "/final");
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint(
            "/start", backend.BaseUrl, "/start", "\"input_headers\":[\"Authorization\",\"Cookie\"],"));
        using var request = Request("GET", "/start");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer secret");
        request.Headers.TryAddWithoutValidation("Cookie", "session=abc");

        var response = await gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var final = backend.Requests[1];
        Assert.Equal("Bearer secret", final.Header("Authorization"));
        Assert.Equal("session=abc", final.Header("Cookie"));
    }

    [Fact]
    public async Task Redirect_WithoutLocation_IsTheBackendsAnswer()
    {
        await using var backend = await CapturingBackend.StartAsync(context =>
        {
            context.Response.StatusCode = 302;
            return Task.CompletedTask;
        });
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint(
            "/nowhere", backend.BaseUrl, "/nowhere", backendExtras: "\"extra_config\":{\"backend/http\":{\"return_error_code\":true}},"));

        var response = await gateway.Client.GetAsync("/nowhere");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Single(backend.Requests);
    }

    [Fact]
    public async Task Redirect_ToAnUnsupportedScheme_IsAnErrorWithoutHanging()
    {
        await using var backend = await RedirectingBackend(302, "ftp://127.0.0.1/file");
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/start", backend.BaseUrl, "/start"));

        var response = await gateway.Client.GetAsync("/start").WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Single(backend.Requests);
    }

    [Fact]
    public async Task Redirect_NoOpEncoding_PassesTheFinalAnswerThrough()
    {
        await using var backend = await CapturingBackend.StartAsync(context =>
        {
            if (context.Request.Path == "/start")
            {
                context.Response.StatusCode = 301;
                context.Response.Headers.Location = "/final";
                return Task.CompletedTask;
            }

            context.Response.StatusCode = 202;
            context.Response.Headers["X-Final"] = "yes";
            return context.Response.WriteAsync("raw final", context.RequestAborted);
        });
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/start", backend.BaseUrl, "/start", "\"output_encoding\":\"no-op\","));

        var response = await gateway.Client.GetAsync("/start");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("raw final", await response.Content.ReadAsStringAsync());
        Assert.Equal("yes", response.Headers.GetValues("X-Final").Single());
        Assert.Equal(2, backend.Requests.Count);
    }
}
