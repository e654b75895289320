using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;

namespace FunctionApp.Gateway.Proxy.Tests;

/// <summary>The endpoint's <c>output_encoding</c> end to end: the rendered body and its Content-Type.</summary>
public sealed class OutputEncodingTests
{
    private const string Json = "application/json; charset=utf-8";
    private const string Yaml = "application/yaml; charset=utf-8";
    private const string Xml = "application/xml";
    private const string Text = "text/plain; charset=utf-8";

    private static async Task<GatewayReply> RenderAsync(string outputEncoding, string backendBody, string backendExtras = "", string? accept = null)
    {
        await using var upstream = await Upstream.StartAsync(backendBody);
        var endpoint = E2E.Endpoint("/out", $"\"output_encoding\":\"{outputEncoding}\",", E2E.Backend(upstream, "/x", backendExtras));
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(endpoint));
        return await E2E.GetAsync(gateway, "/out", accept);
    }

    [Theory]
    [InlineData("json", """{"b":2,"a":"<x> & y"}""", "", """{"a":"\u003cx\u003e \u0026 y","b":2}""", Json)]
    [InlineData("json", """{"n":1.50,"big":12345678901234567890}""", "", """{"big":12345678901234567890,"n":1.50}""", Json)]
    [InlineData("fast-json", """{"a":1}""", "", """{"a":1}""", Json)]
    [InlineData("json-collection", """[1,{"b":2,"a":1}]""", "\"is_collection\":true,", """[1,{"a":1,"b":2}]""", Json)]
    [InlineData("json-collection", """[]""", "\"is_collection\":true,", "[]", Json)]
    [InlineData("json-collection", """{"a":1}""", "", "[]", Json)]
    [InlineData("json-collection", """{"collection":{"not":"an array"}}""", "", """{"not":"an array"}""", Json)]
    [InlineData("json-collection", """{"items":[1,2]}""", "\"mapping\":{\"items\":\"collection\"},", "[1,2]", Json)]
    [InlineData("string", "text:hello <world>", "\"encoding\":\"string\",", "hello <world>", Text)]
    [InlineData("string", """{"content":"from json"}""", "", "from json", Text)]
    [InlineData("string", """{"content":42}""", "", "", Text)]
    [InlineData("string", """{"a":1}""", "", "", Text)]
    [InlineData("yaml", """{"b":"x","a":1,"list":[1,2],"obj":{"k":true}}""", "", "a: 1\nb: x\nlist:\n- 1\n- 2\nobj:\n  k: true\n", Yaml)]
    [InlineData("xml", """{"b":"x","a":1}""", "", "<doc><a>1</a><b>x</b></doc>", Xml)]
    [InlineData("xml", """{"user":{"id":1,"name":"a&b"}}""", "", "<user><id>1</id><name>a&amp;b</name></user>", Xml)]
    public async Task Output_Encoding_RendersBodyAndContentType(string outputEncoding, string backendBody, string backendExtras, string body, string contentType)
    {
        var reply = await RenderAsync(outputEncoding, backendBody, backendExtras);

        Assert.Equal(200, reply.Status);
        Assert.Equal(body, reply.Body);
        Assert.Equal(contentType, reply.ContentType);
    }

    [Theory]
    [InlineData(null, "json")]
    [InlineData("", "json")]
    [InlineData("application/json", "json")]
    [InlineData("*/*", "json")]
    [InlineData("text/html", "json")]
    [InlineData("application/xml", "xml")]
    [InlineData("text/html, application/xml", "xml")]
    [InlineData("application/xml, application/json", "xml")]
    [InlineData("application/json, application/xml", "json")]
    [InlineData("text/plain", "yaml")]
    [InlineData("application/yaml", "yaml")]
    public async Task Output_Negotiate_ChoosesByAccept(string? accept, string format)
    {
        var reply = await RenderAsync("negotiate", """{"a":1}""", accept: accept);

        Assert.Equal(200, reply.Status);
        var (body, contentType) = format switch
        {
            "json" => ("""{"a":1}""", Json),
            "xml" => ("<a>1</a>", Xml),
            _ => ("a: 1\n", Yaml),
        };
        Assert.Equal(body, reply.Body);
        Assert.Equal(contentType, reply.ContentType);
    }

    [Theory]
    [InlineData("json")]
    [InlineData("yaml")]
    [InlineData("xml")]
    [InlineData("string")]
    [InlineData("json-collection")]
    [InlineData("negotiate")]
    public async Task Output_TotalFailure_500WithoutBodyOrContentType(string outputEncoding)
    {
        await using var upstreams = await Upstreams.StartAsync("500", "closed");
        var endpoint = E2E.Endpoint("/out", $"\"output_encoding\":\"{outputEncoding}\",", upstreams.Backends());
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(endpoint));

        var reply = await E2E.GetAsync(gateway, "/out", "application/xml");

        Assert.Equal(500, reply.Status);
        Assert.Equal(string.Empty, reply.Body);
        Assert.Null(reply.ContentType);
    }

    [Theory]
    [InlineData("yaml", "a: 1\nb: 2\n", Yaml)]
    [InlineData("xml", "<doc><a>1</a><b>2</b></doc>", Xml)]
    public async Task Output_PartialMerge_RenderedInTheEndpointEncoding(string outputEncoding, string body, string contentType)
    {
        await using var upstreams = await Upstreams.StartAsync("""{"a":1}""", """{"b":2}""", "500");
        var endpoint = E2E.Endpoint("/out", $"\"output_encoding\":\"{outputEncoding}\",", upstreams.Backends());
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(endpoint));

        var reply = await E2E.GetAsync(gateway, "/out");

        Assert.Equal(200, reply.Status);
        Assert.Equal(body, reply.Body);
        Assert.Equal(contentType, reply.ContentType);
        Assert.Equal("false", reply.Completed);
    }

    [Fact]
    public async Task Output_ServiceLevelEncoding_IsTheDefault()
    {
        await using var upstream = await Upstream.StartAsync("""{"a":1}""");
        var config = Krakend.Config(E2E.Endpoint("/out", "", E2E.Backend(upstream, "/x")), "\"output_encoding\":\"yaml\",");
        await using var gateway = await TestGateway.StartAsync(config);

        var reply = await E2E.GetAsync(gateway, "/out");

        Assert.Equal("a: 1\n", reply.Body);
        Assert.Equal(Yaml, reply.ContentType);
    }
}
