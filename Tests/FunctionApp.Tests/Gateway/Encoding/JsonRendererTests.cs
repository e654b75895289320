using System.Buffers;
using System.IO.Compression;
using System.Net;
using System.Text.Json.Nodes;
using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.Http;
using TextEncoding = System.Text.Encoding;

namespace FunctionApp.Gateway.Encoding.Tests;

/// <summary>
/// The json output encoding: the backend's object is decoded and rendered again as Go's encoding/json would
/// (sorted keys, literal numbers, Go escaping), and anything that is not a 200/201 JSON object is a failure.
/// </summary>
public sealed class JsonRendererTests
{
    private static string Render(string json)
    {
        var buffer = new ArrayBufferWriter<byte>();
        JsonRenderer.Write(buffer, JsonNode.Parse(json));
        return TextEncoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static async Task<(HttpResponseMessage Response, string Body)> GetThroughGatewayAsync(string backendJson, int backendStatus = 200, string endpointExtras = "", string service = "")
    {
        await using var backend = await CapturingBackend.StartAsync(backendJson, backendStatus);
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/data", backend.BaseUrl, "/data", endpointExtras, service: service));
        var response = await gateway.Client.GetAsync("/data");
        return (response, await response.Content.ReadAsStringAsync());
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;

    [Fact]
    public void Write_NestedObjects_SortsKeysAtEveryLevel() =>
        Assert.Equal(
            """{"a":{"x":[{"b":1,"c":2}],"y":null},"b":true,"z":"s"}""",
            Render("""{"z":"s","b":true,"a":{"y":null,"x":[{"c":2,"b":1}]}}"""));

    [Theory]
    [InlineData("1.0")]
    [InlineData("12345678901234567890")]
    [InlineData("1e3")]
    [InlineData("1E+3")]
    [InlineData("-0")]
    [InlineData("0.1000")]
    [InlineData("123456789012345678901234567890.123456789")]
    public void Write_NumberLiteral_IsKeptAsWritten(string number) =>
        Assert.Equal($$"""{"n":{{number}}}""", Render($$"""{"n":{{number}}}"""));

    [Theory]
    [InlineData("""{"s":"<a href='x'>&</a>"}""", """{"s":"\u003ca href='x'\u003e\u0026\u003c/a\u003e"}""")]
    [InlineData("""{"s":"h\u00e9llo \ud83d\ude00 日本"}""", """{"s":"héllo 😀 日本"}""")]
    [InlineData("""{"s":"a\u2028b\u2029c"}""", """{"s":"a\u2028b\u2029c"}""")]
    [InlineData("""{"s":"\n\r\t\b\f\u0001\u001f"}""", """{"s":"\n\r\t\b\f\u0001\u001f"}""")]
    [InlineData("""{"s":"q\"b\\s\/"}""", """{"s":"q\"b\\s/"}""")]
    [InlineData("""{"s":"\u007f"}""", "{\"s\":\"\u007f\"}")]
    [InlineData("""{"<k>&":1}""", """{"\u003ck\u003e\u0026":1}""")]
    public void Write_Strings_AreEscapedTheGoWay(string input, string expected) =>
        Assert.Equal(expected, Render(input));

    [Fact]
    public void Write_KeysOutsideTheBasicPlane_SortByUtf8Bytes()
    {
        // Go sorts map keys by their UTF-8 bytes: U+FF21 (EF BC A1) comes before U+1F600 (F0 9F 98 80), although
        // in UTF-16 the surrogate pair of U+1F600 (D83D …) sorts first.
        Assert.Equal("{\"a\":1,\"é\":2,\"Ａ\":3,\"😀\":4}", Render("{\"😀\":4,\"Ａ\":3,\"é\":2,\"a\":1}"));
    }

    [Fact]
    public async Task JsonEndpoint_BackendObject_IsRenderedSortedWithNumbersPreserved()
    {
        var (response, body) = await GetThroughGatewayAsync("""{"z":1.0, "big":12345678901234567890, "e":1e3, "a":{"d":[3,2,1],"c":"x"}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"a":{"c":"x","d":[3,2,1]},"big":12345678901234567890,"e":1e3,"z":1.0}""", body);
        Assert.Equal("Version 2.13.8", Header(response, "X-Krakend"));
        Assert.Equal("true", Header(response, "X-Krakend-Completed"));
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.Null(response.Headers.CacheControl);
    }

    [Fact]
    public async Task JsonEndpoint_StringsWithHtmlAndUnicode_AreEscapedTheGoWay()
    {
        var (response, body) = await GetThroughGatewayAsync("{\"html\":\"<b>&</b>\",\"text\":\"h\\u00e9llo \\ud83d\\ude00\",\"raw\":\"ñ\"}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{\"html\":\"\\u003cb\\u003e\\u0026\\u003c/b\\u003e\",\"raw\":\"ñ\",\"text\":\"héllo 😀\"}", body);
    }

    [Fact]
    public async Task JsonEndpoint_Backend201_Returns200Complete()
    {
        var (response, body) = await GetThroughGatewayAsync("""{"id":1}""", backendStatus: 201);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"id":1}""", body);
        Assert.Equal("true", Header(response, "X-Krakend-Completed"));
    }

    [Theory]
    [InlineData("[1,2,3]", 200)]
    [InlineData("\"text\"", 200)]
    [InlineData("42", 200)]
    [InlineData("null", 200)]
    [InlineData("", 200)]
    [InlineData("{\"a\":", 200)]
    [InlineData("not json", 200)]
    [InlineData("{\"ok\":true}", 404)]
    [InlineData("{\"ok\":true}", 500)]
    [InlineData("{\"ok\":true}", 202)]
    [InlineData("{\"ok\":true}", 302)]
    public async Task JsonEndpoint_BackendFailure_Returns500WithEmptyBody(string backendBody, int backendStatus)
    {
        var (response, body) = await GetThroughGatewayAsync(backendBody, backendStatus);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(string.Empty, body);
        Assert.Equal("Version 2.13.8", Header(response, "X-Krakend"));
        Assert.Equal("false", Header(response, "X-Krakend-Completed"));
        Assert.Null(response.Content.Headers.ContentType);
    }

    [Fact]
    public async Task JsonEndpoint_InvalidStatusWithReturnErrorMsg_ReturnsTheErrorText()
    {
        await using var backend = await CapturingBackend.StartAsync("""{"ok":true}""", 404);
        var config = Krakend.OneEndpoint("/data", backend.BaseUrl, "/missing", service: Krakend.Router("\"return_error_msg\":true"));
        await using var gateway = await TestGateway.StartAsync(config);

        var response = await gateway.Client.GetAsync("/data");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal($"invalid status code 404 [GET /missing]: {backend.BaseUrl}/missing", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("false", Header(response, "X-Krakend-Completed"));
    }

    [Fact]
    public async Task JsonEndpoint_NonObjectWithReturnErrorMsg_ReturnsADecodeError()
    {
        var (response, body) = await GetThroughGatewayAsync("[1]", service: Krakend.Router("\"return_error_msg\":true"));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.NotEmpty(body);
        Assert.Equal("false", Header(response, "X-Krakend-Completed"));
    }

    [Fact]
    public async Task JsonEndpoint_EmptyObject_IsIncomplete()
    {
        var (response, body) = await GetThroughGatewayAsync("{}", endpointExtras: "\"cache_ttl\":\"1m\",");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{}", body);
        Assert.Equal("false", Header(response, "X-Krakend-Completed"));
        Assert.Null(response.Headers.CacheControl);
    }

    [Fact]
    public async Task JsonEndpoint_CacheTtl_SetsCacheControlOnCompleteResponses()
    {
        var (response, _) = await GetThroughGatewayAsync("""{"a":1}""", endpointExtras: "\"cache_ttl\":\"90s\",");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("public, max-age=90", Header(response, "Cache-Control"));
    }

    [Fact]
    public async Task JsonEndpoint_ServiceCacheTtl_IsInherited()
    {
        var (response, _) = await GetThroughGatewayAsync("""{"a":1}""", service: "\"cache_ttl\":\"1h\",");

        Assert.Equal("public, max-age=3600", Header(response, "Cache-Control"));
    }

    [Fact]
    public async Task JsonEndpoint_CacheTtlOnFailure_SendsNoCacheControl()
    {
        var (response, _) = await GetThroughGatewayAsync("""{"a":1}""", backendStatus: 500, endpointExtras: "\"cache_ttl\":\"1m\",");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Null(Header(response, "Cache-Control"));
    }

    [Fact]
    public async Task JsonEndpoint_HideVersionHeader_SaysVersionUndefined()
    {
        var (response, _) = await GetThroughGatewayAsync("""{"a":1}""", service: Krakend.Router("\"hide_version_header\":true"));

        Assert.Equal("Version undefined", Header(response, "X-Krakend"));
    }

    [Fact]
    public async Task JsonEndpoint_GzipBackendBody_IsDecoded()
    {
        await using var backend = await CapturingBackend.StartAsync(async context =>
        {
            context.Response.ContentType = "application/json";
            context.Response.Headers.ContentEncoding = "gzip";
            using var compressed = new MemoryStream();
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write("""{"zipped":true}"""u8);
            }

            await context.Response.Body.WriteAsync(compressed.ToArray());
        });
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/data", backend.BaseUrl, "/data"));

        var response = await gateway.Client.GetAsync("/data");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"zipped":true}""", await response.Content.ReadAsStringAsync());
        Assert.Null(response.Content.Headers.ContentEncoding.FirstOrDefault());
    }

    [Fact]
    public async Task JsonEndpoint_DuplicateKeys_LastOneWins()
    {
        var (response, body) = await GetThroughGatewayAsync("""{"a":1,"b":2,"a":3}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"a":3,"b":2}""", body);
    }

    [Fact]
    public async Task JsonEndpoint_ChunkedBackendBody_IsDecoded()
    {
        await using var backend = await CapturingBackend.StartAsync(async (HttpContext context) =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"part\":");
            await context.Response.Body.FlushAsync();
            await context.Response.WriteAsync("\"two\"}");
        });
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/data", backend.BaseUrl, "/data"));

        var response = await gateway.Client.GetAsync("/data");

        Assert.Equal("""{"part":"two"}""", await response.Content.ReadAsStringAsync());
    }
}
