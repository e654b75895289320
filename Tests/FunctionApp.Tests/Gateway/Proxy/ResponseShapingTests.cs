using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;

namespace FunctionApp.Gateway.Proxy.Tests;

/// <summary>
/// Per-backend response manipulation through the gateway (target, allow/deny, mapping, group, is_collection,
/// decoders, backend flatmap) and the endpoint-level flatmap on a merged response.
/// </summary>
public sealed class ResponseShapingTests
{
    private const string Nested = """{"a":1,"b":{"c":2,"d":3},"e":[{"f":1},{"f":2}]}""";

    [Theory]
    [InlineData("""{"data":{"a":1},"x":2}""", "\"target\":\"data\",", """{"a":1}""")]
    [InlineData("""{"data":{"inner":{"a":1}}}""", "\"target\":\"data.inner\",", """{"a":1}""")]
    [InlineData("""{"data":[1,2]}""", "\"target\":\"data\",", "{}")]
    [InlineData("""{"x":1}""", "\"target\":\"missing\",", "{}")]
    [InlineData(Nested, "\"allow\":[\"a\",\"b.c\"],", """{"a":1,"b":{"c":2}}""")]
    [InlineData(Nested, "\"allow\":[\"e.f\"],", "{}")]
    [InlineData(Nested, "\"deny\":[\"b.d\",\"e\"],", """{"a":1,"b":{"c":2}}""")]
    [InlineData(Nested, "\"allow\":[\"a\"],\"deny\":[\"a\"],", """{"a":1}""")]
    [InlineData("""{"a":1,"b":2}""", "\"mapping\":{\"a\":\"alpha\"},", """{"alpha":1,"b":2}""")]
    [InlineData("""{"a":1,"b":2}""", "\"mapping\":{\"a\":\"x.y\"},", """{"b":2,"x":1}""")]
    [InlineData("""{"a":1}""", "\"group\":\"g\",", """{"g":{"a":1}}""")]
    [InlineData("""{"data":{"a":1,"b":2,"c":3}}""", "\"target\":\"data\",\"allow\":[\"a\",\"b\"],\"mapping\":{\"a\":\"alpha\"},\"group\":\"g\",", """{"g":{"alpha":1,"b":2}}""")]
    [InlineData("""[1,"two",{"x":3}]""", "\"is_collection\":true,", """{"collection":[1,"two",{"x":3}]}""")]
    [InlineData("[]", "\"is_collection\":true,", """{"collection":[]}""")]
    [InlineData("""[{"id":1}]""", "\"is_collection\":true,\"mapping\":{\"collection\":\"items\"},", """{"items":[{"id":1}]}""")]
    [InlineData("""[{"id":1}]""", "\"is_collection\":true,\"group\":\"g\",", """{"g":{"collection":[{"id":1}]}}""")]
    [InlineData("""{"a":1}""", "\"encoding\":\"safejson\",", """{"a":1}""")]
    [InlineData("""[1,2]""", "\"encoding\":\"safejson\",", """{"collection":[1,2]}""")]
    [InlineData("""{"a":"<b>"}""", "\"encoding\":\"string\",", """{"content":"{\"a\":\"\u003cb\u003e\"}"}""")]
    [InlineData("text:plain words", "\"encoding\":\"string\",", """{"content":"plain words"}""")]
    [InlineData("text:plain words", "\"encoding\":\"string\",\"mapping\":{\"content\":\"text\"},", """{"text":"plain words"}""")]
    [InlineData(Nested, "\"extra_config\":{\"proxy\":{\"flatmap_filter\":[{\"type\":\"move\",\"args\":[\"b.c\",\"c\"]},{\"type\":\"del\",\"args\":[\"b\",\"e.*.f\"]}]}},", """{"a":1,"c":2,"e":[null,null]}""")]
    [InlineData(Nested, "\"allow\":[\"a\"],\"mapping\":{\"a\":\"z\"},\"extra_config\":{\"proxy\":{\"flatmap_filter\":[{\"type\":\"del\",\"args\":[\"e\"]}]}},", """{"a":1,"b":{"c":2,"d":3}}""")]
    [InlineData(Nested, "\"target\":\"b\",\"group\":\"g\",\"extra_config\":{\"proxy\":{\"flatmap_filter\":[{\"type\":\"move\",\"args\":[\"c\",\"moved\"]}]}},", """{"g":{"d":3,"moved":2}}""")]
    [InlineData("""{"list":[{"id":1},{"id":2}]}""", "\"extra_config\":{\"proxy\":{\"flatmap_filter\":[{\"type\":\"move\",\"args\":[\"list.*.id\",\"list.*.key\"]}]}},", """{"list":[{"key":1},{"key":2}]}""")]
    [InlineData("""{"list":[{"id":1},{"id":2}]}""", "\"extra_config\":{\"proxy\":{\"flatmap_filter\":[{\"type\":\"del\",\"args\":[\"list.0\"]}]}},", """{"list":[{"id":2}]}""")]
    public async Task Shaping_BackendSettings_ApplyToItsResponse(string backendBody, string backendExtras, string expected)
    {
        await using var upstream = await Upstream.StartAsync(backendBody);
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/shape", "", E2E.Backend(upstream, "/x", backendExtras))));

        var reply = await E2E.GetAsync(gateway, "/shape");

        Assert.Equal(200, reply.Status);
        Assert.Equal(expected, reply.Body);
    }

    [Theory]
    [InlineData("""{"a":1}""", "\"is_collection\":true,")]
    [InlineData("{}", "\"is_collection\":true,")]
    [InlineData("[1]", "")]
    [InlineData("\"text\"", "")]
    [InlineData("42", "")]
    [InlineData("", "")]
    public async Task Shaping_BodyOfTheWrongShape_DecodeError500(string backendBody, string backendExtras)
    {
        await using var upstream = await Upstream.StartAsync((_, context) => CapturingBackend.RespondJsonAsync(context, backendBody));
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/shape", "", E2E.Backend(upstream, "/x", backendExtras))));

        var reply = await E2E.GetAsync(gateway, "/shape");

        Assert.Equal(500, reply.Status);
        Assert.Equal("false", reply.Completed);
    }

    [Fact]
    public async Task Shaping_EachBackendOfAMerge_ShapedOnItsOwn()
    {
        await using var upstreams = await Upstreams.StartAsync("""{"id":1,"secret":"x"}""", """[{"n":1},{"n":2}]""", """{"wrap":{"v":true}}""");
        var backends = E2E.Backend(upstreams[0], "/b0", "\"deny\":[\"secret\"],\"group\":\"user\",")
            + "," + E2E.Backend(upstreams[1], "/b1", "\"is_collection\":true,\"mapping\":{\"collection\":\"items\"},")
            + "," + E2E.Backend(upstreams[2], "/b2", "\"target\":\"wrap\",\"mapping\":{\"v\":\"flag\"},");
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/shape", "", backends)));

        var reply = await E2E.GetAsync(gateway, "/shape");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"flag":true,"items":[{"n":1},{"n":2}],"user":{"id":1}}""", reply.Body);
        Assert.Equal("true", reply.Completed);
    }

    [Theory]
    [InlineData("""[{"type":"move","args":["a","alpha"]},{"type":"del","args":["b.x"]}]""", """{"alpha":1,"b":{"y":2},"l1":[1,2],"l2":[3]}""")]
    [InlineData("""[{"type":"move","args":["b.x","a"]}]""", """{"a":1,"b":{"y":2},"l1":[1,2],"l2":[3]}""")]
    [InlineData("""[{"type":"append","args":["l1","l2"]}]""", """{"a":1,"b":{"x":1,"y":2},"l2":[3,1,2]}""")]
    public async Task Shaping_EndpointFlatmapOnAMerge_AppliesToTheMergedResponse(string operations, string expected)
    {
        await using var upstreams = await Upstreams.StartAsync("""{"a":1,"l1":[1,2]}""", """{"b":{"x":1,"y":2},"l2":[3]}""");
        var endpoint = E2E.Endpoint("/shape", E2E.ProxyOptions("\"flatmap_filter\":" + operations), upstreams.Backends());
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(endpoint));

        var reply = await E2E.GetAsync(gateway, "/shape");

        Assert.Equal(200, reply.Status);
        Assert.Equal(expected, reply.Body);
    }

    [Fact]
    public async Task Shaping_EndpointFlatmapWithOneBackend_IsNotApplied()
    {
        await using var upstream = await Upstream.StartAsync("""{"a":1,"b":2}""");
        var endpoint = E2E.Endpoint("/shape", E2E.ProxyOptions("""
            "flatmap_filter":[{"type":"del","args":["a"]}]
            """), E2E.Backend(upstream, "/x"));
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(endpoint));

        var reply = await E2E.GetAsync(gateway, "/shape");

        Assert.Equal("""{"a":1,"b":2}""", reply.Body);
    }

    [Fact]
    public async Task Shaping_EndpointFlatmapWithOneRegularAndOneShadowBackend_IsNotApplied()
    {
        // KrakenD counts the backends after removing the shadow ones.
        await using var upstreams = await Upstreams.StartAsync("""{"a":1,"b":2}""", """{"s":1}""");
        var backends = E2E.Backend(upstreams[0], "/b0") + "," + E2E.Backend(upstreams[1], "/b1", "\"extra_config\":{\"proxy\":{\"shadow\":true}},");
        var endpoint = E2E.Endpoint("/shape", E2E.ProxyOptions("""
            "flatmap_filter":[{"type":"del","args":["a"]}]
            """), backends);
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(endpoint));

        var reply = await E2E.GetAsync(gateway, "/shape");

        Assert.Equal("""{"a":1,"b":2}""", reply.Body);
    }

    [Fact]
    public async Task Shaping_EndpointFlatmapOnAPartialMerge_IsNotApplied()
    {
        // Lura's flatmap middleware only runs on a response without error.
        await using var upstreams = await Upstreams.StartAsync("""{"a":1,"b":2}""", "500");
        var endpoint = E2E.Endpoint("/shape", E2E.ProxyOptions("""
            "flatmap_filter":[{"type":"del","args":["a"]}]
            """), upstreams.Backends());
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(endpoint));

        var reply = await E2E.GetAsync(gateway, "/shape");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"a":1,"b":2}""", reply.Body);
        Assert.Equal("false", reply.Completed);
    }
}
