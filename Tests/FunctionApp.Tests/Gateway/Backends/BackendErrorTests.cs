using System.Net;
using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Http;

namespace FunctionApp.Gateway.Backends.Tests;

/// <summary>
/// What the client gets when a backend answers with a status other than 200/201 (KrakenD's status table):
/// 500, or the backend's own status with <c>backend/http.return_error_code</c>; a body only with
/// <c>router.return_error_msg</c>; and, with <c>return_error_details</c>, a 200 whose data carries
/// <c>error_&lt;name&gt;</c>. With several backends the backend's status never reaches the client.
/// </summary>
public sealed class BackendErrorTests
{
    private const string NoContentType = "";

    /// <summary>A backend that answers every request with this status, body and Content-Type, plus a header that must not leak.</summary>
    private static Task<CapturingBackend> FailingBackend(int status, string body, string contentType) =>
        CapturingBackend.StartAsync(async (HttpContext context) =>
        {
            context.Response.StatusCode = status;
            context.Response.Headers["X-Backend-Only"] = "leak";
            if (contentType.Length > 0)
            {
                context.Response.ContentType = contentType;
            }

            if (body.Length > 0)
            {
                await context.Response.WriteAsync(body, context.RequestAborted);
            }
        });

    private static string HttpExtra(bool returnErrorCode) =>
        returnErrorCode ? "\"extra_config\":{\"backend/http\":{\"return_error_code\":true}}," : string.Empty;

    private static string Service(bool returnErrorMsg) =>
        returnErrorMsg ? Krakend.Router("\"return_error_msg\":true") : string.Empty;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) :
        response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(", ", contentValues) : null;

    /// <summary>backend status, body, Content-Type; return_error_code; return_error_msg → client status, body, Content-Type.</summary>
    public static TheoryData<int, string, string, bool, bool, int, string, string?> SingleBackendCases => new()
    {
        // Neither option: always 500 and an empty body, whatever the backend said.
        { 400, """{"error":"bad"}""", "application/json", false, false, 500, "", null },
        { 404, "not here", "text/plain", false, false, 500, "", null },
        { 418, "teapot", "text/plain", false, false, 500, "", null },
        { 500, """{"error":"boom"}""", "application/json", false, false, 500, "", null },
        { 503, "", NoContentType, false, false, 500, "", null },
        { 204, "", NoContentType, false, false, 500, "", null },
        { 304, "", NoContentType, false, false, 500, "", null },

        // return_error_code alone: the backend's status, still no body.
        { 400, """{"error":"bad"}""", "application/json", true, false, 400, "", null },
        { 401, "who are you", "text/plain", true, false, 401, "", null },
        { 404, "not here", "text/plain", true, false, 404, "", null },
        { 418, "teapot", "text/plain", true, false, 418, "", null },
        { 500, """{"error":"boom"}""", "application/json", true, false, 500, "", null },
        { 503, "", NoContentType, true, false, 503, "", null },

        // return_error_code with return_error_msg: the backend's status, body and Content-Type.
        { 400, """{"error":"bad"}""", "application/json", true, true, 400, """{"error":"bad"}""", "application/json" },
        { 404, "<h1>not here</h1>", "text/html; charset=utf-8", true, true, 404, "<h1>not here</h1>", "text/html; charset=utf-8" },
        { 422, """{"title":"invalid"}""", "application/problem+json", true, true, 422, """{"title":"invalid"}""", "application/problem+json" },
        { 502, "upstream down", "text/plain", true, true, 502, "upstream down", "text/plain" },
        { 503, "", "application/json", true, true, 503, "", "application/json" },
        { 404, "", NoContentType, true, true, 404, "", null },
    };

    [Theory]
    [MemberData(nameof(SingleBackendCases))]
    public async Task StatusError_SingleBackend_FollowsKrakendStatusTable(
        int backendStatus, string backendBody, string backendContentType, bool returnErrorCode, bool returnErrorMsg,
        int expectedStatus, string expectedBody, string? expectedContentType)
    {
        await using var backend = await FailingBackend(backendStatus, backendBody, backendContentType);
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint(
            "/err", backend.BaseUrl, "/err", backendExtras: HttpExtra(returnErrorCode), service: Service(returnErrorMsg)));

        var response = await gateway.Client.GetAsync("/err");

        Assert.Equal(expectedStatus, (int)response.StatusCode);
        Assert.Equal(expectedBody, await response.Content.ReadAsStringAsync());
        Assert.Equal(expectedContentType, response.Content.Headers.ContentType?.ToString());
        Assert.Equal("Version 2.13.8", Header(response, "X-Krakend"));
        Assert.Equal("false", Header(response, "X-Krakend-Completed"));
        Assert.Null(Header(response, "X-Backend-Only"));
        Assert.Null(Header(response, "Cache-Control"));
        Assert.Single(backend.Requests);
    }

    [Theory]
    [InlineData(404)]
    [InlineData(500)]
    public async Task StatusError_ReturnErrorMsgWithoutReturnErrorCode_Returns500WithTheErrorText(int backendStatus)
    {
        await using var backend = await FailingBackend(backendStatus, "backend text", "text/plain");
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/err", backend.BaseUrl, "/err", service: Service(true)));

        var response = await gateway.Client.GetAsync("/err");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal($"invalid status code {backendStatus} [GET /err]: {backend.BaseUrl}/err", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task Status201_SingleBackend_IsASuccessRenderedAs200()
    {
        await using var backend = await CapturingBackend.StartAsync("""{"created":true}""", 201);
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/new", backend.BaseUrl, "/new", "\"cache_ttl\":\"60s\",", HttpExtra(true)));

        var response = await gateway.Client.GetAsync("/new");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"created":true}""", await response.Content.ReadAsStringAsync());
        Assert.Equal("true", Header(response, "X-Krakend-Completed"));
        Assert.Equal("public, max-age=60", Header(response, "Cache-Control"));
    }

    /// <summary>backend status, body, Content-Type → the exact error_x object (fields in struct order, empty ones omitted).</summary>
    public static TheoryData<int, string, string, string> DetailsCases => new()
    {
        { 404, """{"message":"nope"}""", "application/json", """{"error_x":{"http_status_code":404,"http_body":"{\"message\":\"nope\"}","http_body_encoding":"application/json"}}""" },
        { 500, "<b>boom</b> & co", "text/html; charset=utf-8", """{"error_x":{"http_status_code":500,"http_body":"\u003cb\u003eboom\u003c/b\u003e \u0026 co","http_body_encoding":"text/html; charset=utf-8"}}""" },
        { 400, "line1\nline2", "text/plain", """{"error_x":{"http_status_code":400,"http_body":"line1\nline2","http_body_encoding":"text/plain"}}""" },
        { 503, "", NoContentType, """{"error_x":{"http_status_code":503}}""" },
        { 429, "slow down", NoContentType, """{"error_x":{"http_status_code":429,"http_body":"slow down"}}""" },
    };

    [Theory]
    [MemberData(nameof(DetailsCases))]
    public async Task ReturnErrorDetails_SingleBackend_Returns200WithErrorObjectInStructOrder(int backendStatus, string backendBody, string backendContentType, string expectedBody)
    {
        await using var backend = await FailingBackend(backendStatus, backendBody, backendContentType);
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint(
            "/details", backend.BaseUrl, "/details", backendExtras: "\"extra_config\":{\"backend/http\":{\"return_error_details\":\"x\"}},"));

        var response = await gateway.Client.GetAsync("/details");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expectedBody, await response.Content.ReadAsStringAsync());
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("false", Header(response, "X-Krakend-Completed"));
        Assert.Null(Header(response, "X-Backend-Only"));
    }

    [Fact]
    public async Task ReturnErrorDetails_WithReturnErrorCodeToo_DetailsWin()
    {
        await using var backend = await FailingBackend(404, "gone", "text/plain");
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint(
            "/both", backend.BaseUrl, "/both",
            backendExtras: "\"extra_config\":{\"backend/http\":{\"return_error_code\":true,\"return_error_details\":\"svc\"}},",
            service: Service(true)));

        var response = await gateway.Client.GetAsync("/both");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"error_svc":{"http_status_code":404,"http_body":"gone","http_body_encoding":"text/plain"}}""", await response.Content.ReadAsStringAsync());
        Assert.Equal("false", Header(response, "X-Krakend-Completed"));
    }

    [Fact]
    public async Task ReturnErrorDetails_BackendSucceeds_IsAPlainCompleteResponse()
    {
        await using var backend = await CapturingBackend.StartAsync("""{"fine":1}""");
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint(
            "/fine", backend.BaseUrl, "/fine", backendExtras: "\"extra_config\":{\"backend/http\":{\"return_error_details\":\"x\"}},"));

        var response = await gateway.Client.GetAsync("/fine");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"fine":1}""", await response.Content.ReadAsStringAsync());
        Assert.Equal("true", Header(response, "X-Krakend-Completed"));
    }

    /// <summary>
    /// Two backends, a (answers {"a":1} or fails) and b (always fails); the extra_config of b; return_error_msg →
    /// client status, exact body (null: not checked), Completed.
    /// </summary>
    public static TheoryData<string, int, string, bool, int, string?, string> MergedCases => new()
    {
        // a succeeds, b fails: 200 partial, whatever b's options.
        { "ok", 404, "", false, 200, """{"a":1}""", "false" },
        { "ok", 404, "\"extra_config\":{\"backend/http\":{\"return_error_code\":true}},", false, 200, """{"a":1}""", "false" },
        { "ok", 503, "\"extra_config\":{\"backend/http\":{\"return_error_code\":true}},", true, 200, """{"a":1}""", "false" },
        { "ok", 404, "\"extra_config\":{\"backend/http\":{\"return_error_details\":\"b\"}},", false, 200, """{"a":1,"error_b":{"http_status_code":404,"http_body":"b failed","http_body_encoding":"text/plain"}}""", "false" },

        // both fail: 500, never a backend's status, even with return_error_code on both.
        { "404", 404, "", false, 500, "", "false" },
        { "404", 404, "\"extra_config\":{\"backend/http\":{\"return_error_code\":true}},", false, 500, "", "false" },
        { "418", 418, "\"extra_config\":{\"backend/http\":{\"return_error_code\":true}},", true, 500, "a failed\nb failed", "false" },

        // both fail, b with details: b's details are data, so 200 partial.
        { "500", 404, "\"extra_config\":{\"backend/http\":{\"return_error_details\":\"b\"}},", false, 200, """{"error_b":{"http_status_code":404,"http_body":"b failed","http_body_encoding":"text/plain"}}""", "false" },
    };

    [Theory]
    [MemberData(nameof(MergedCases))]
    public async Task StatusError_SeveralBackends_Is200PartialOr500NeverTheBackendStatus(
        string a, int bStatus, string bExtras, bool returnErrorMsg, int expectedStatus, string? expectedBody, string expectedCompleted)
    {
        await using var backendA = a == "ok"
            ? await CapturingBackend.StartAsync("""{"a":1}""")
            : await FailingBackend(int.Parse(a, System.Globalization.CultureInfo.InvariantCulture), "a failed", "text/plain");
        await using var backendB = await FailingBackend(bStatus, "b failed", "text/plain");
        var aExtras = bExtras.Contains("return_error_code", StringComparison.Ordinal) ? bExtras : string.Empty;
        var endpoint = $$"""
            {"endpoint":"/merged","backend":[
              {{{aExtras}}"host":["{{backendA.BaseUrl}}"],"url_pattern":"/a"},
              {{{bExtras}}"host":["{{backendB.BaseUrl}}"],"url_pattern":"/b"}]}
            """;
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(endpoint, Service(returnErrorMsg)));

        var response = await gateway.Client.GetAsync("/merged");

        Assert.Equal(expectedStatus, (int)response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        if (expectedBody is not null)
        {
            Assert.Equal(expectedBody, body);
        }

        Assert.Equal(expectedCompleted, Header(response, "X-Krakend-Completed"));
        Assert.Null(Header(response, "X-Backend-Only"));
        Assert.Single(backendA.Requests);
        Assert.Single(backendB.Requests);
    }
}
