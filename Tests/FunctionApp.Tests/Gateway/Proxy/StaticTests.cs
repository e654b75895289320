using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;

namespace FunctionApp.Gateway.Proxy.Tests;

/// <summary>
/// <c>proxy.static</c> end to end: each strategy against a complete, a partial and a totally failed merge of two
/// backends. Static keys overwrite the backends' ones and the completeness flag is left as it was.
/// </summary>
public sealed class StaticTests
{
    private const string StaticData = """{"s":"static","extra":true}""";

    private static string[] Outcome(string outcome) => outcome switch
    {
        "success" => ["""{"a":1,"s":"backend"}""", """{"b":2}"""],
        "partial" => ["""{"a":1,"s":"backend"}""", "500"],
        "failure" => ["500", "500"],
        _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
    };

    private const string Full = """{"a":1,"b":2,"s":"backend"}""";
    private const string FullStatic = """{"a":1,"b":2,"extra":true,"s":"static"}""";
    private const string Partial = """{"a":1,"s":"backend"}""";
    private const string PartialStatic = """{"a":1,"extra":true,"s":"static"}""";
    private const string OnlyStatic = """{"extra":true,"s":"static"}""";

    [Theory]
    [InlineData("always", "success", 200, FullStatic, "true")]
    [InlineData("always", "partial", 200, PartialStatic, "false")]
    [InlineData("always", "failure", 200, OnlyStatic, "false")]
    [InlineData("success", "success", 200, FullStatic, "true")]
    [InlineData("success", "partial", 200, Partial, "false")]
    [InlineData("success", "failure", 500, "", "false")]
    [InlineData("errored", "success", 200, Full, "true")]
    [InlineData("errored", "partial", 200, PartialStatic, "false")]
    [InlineData("errored", "failure", 200, OnlyStatic, "false")]
    [InlineData("complete", "success", 200, FullStatic, "true")]
    [InlineData("complete", "partial", 200, Partial, "false")]
    [InlineData("complete", "failure", 500, "", "false")]
    [InlineData("incomplete", "success", 200, Full, "true")]
    [InlineData("incomplete", "partial", 200, PartialStatic, "false")]
    [InlineData("incomplete", "failure", 200, OnlyStatic, "false")]
    public async Task Static_StrategyAndOutcome_AddsDataWhenTheStrategyMatches(string strategy, string outcome, int status, string body, string completed)
    {
        await using var upstreams = await Upstreams.StartAsync(Outcome(outcome));
        var proxy = E2E.ProxyOptions($$"""
            "static":{"strategy":"{{strategy}}","data":{{StaticData}}}
            """);
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/static", "\"cache_ttl\":\"60s\"," + proxy, upstreams.Backends())));

        var reply = await E2E.GetAsync(gateway, "/static");

        Assert.Equal(status, reply.Status);
        Assert.Equal(body, reply.Body);
        Assert.Equal(completed, reply.Completed);
        Assert.Equal(completed == "true" ? "public, max-age=60" : null, reply.CacheControl);
    }

    [Theory]
    [InlineData("""{"a":1}""", 200, """{"a":1,"extra":true,"s":"static"}""", "true")]
    [InlineData("500", 200, OnlyStatic, "false")]
    [InlineData("closed", 200, OnlyStatic, "false")]
    public async Task Static_NoStrategy_IsAlways(string spec, int status, string body, string completed)
    {
        await using var upstream = await Upstream.StartAsync(spec);
        var proxy = E2E.ProxyOptions($$"""
            "static":{"data":{{StaticData}}}
            """);
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/static", proxy, E2E.Backend(upstream, "/x"))));

        var reply = await E2E.GetAsync(gateway, "/static");

        Assert.Equal(status, reply.Status);
        Assert.Equal(body, reply.Body);
        Assert.Equal(completed, reply.Completed);
    }

    [Theory]
    [InlineData("errored", "500", 200, OnlyStatic, "false")]
    [InlineData("errored", """{"a":1}""", 200, """{"a":1}""", "true")]
    [InlineData("incomplete", "invalid", 200, OnlyStatic, "false")]
    [InlineData("success", "500", 500, "", "false")]
    [InlineData("complete", """{"a":1}""", 200, """{"a":1,"extra":true,"s":"static"}""", "true")]
    public async Task Static_SingleBackend_SameRules(string strategy, string spec, int status, string body, string completed)
    {
        await using var upstream = await Upstream.StartAsync(spec);
        var proxy = E2E.ProxyOptions($$"""
            "static":{"strategy":"{{strategy}}","data":{{StaticData}}}
            """);
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/static", proxy, E2E.Backend(upstream, "/x"))));

        var reply = await E2E.GetAsync(gateway, "/static");

        Assert.Equal(status, reply.Status);
        Assert.Equal(body, reply.Body);
        Assert.Equal(completed, reply.Completed);
    }

    [Fact]
    public async Task Static_NestedData_OverwritesWholeTopLevelKeys()
    {
        await using var upstream = await Upstream.StartAsync("""{"obj":{"from":"backend","keep":1},"a":1}""");
        var proxy = E2E.ProxyOptions("""
            "static":{"strategy":"success","data":{"obj":{"from":"static"},"list":[1,{"x":null}]}}
            """);
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/static", proxy, E2E.Backend(upstream, "/x"))));

        var first = await E2E.GetAsync(gateway, "/static");
        var second = await E2E.GetAsync(gateway, "/static");

        Assert.Equal("""{"a":1,"list":[1,{"x":null}],"obj":{"from":"static"}}""", first.Body);
        Assert.Equal(first.Body, second.Body);
    }

    [Fact]
    public async Task Static_ErroredWithReturnErrorMsg_StaticDataInsteadOfTheError()
    {
        await using var upstreams = await Upstreams.StartAsync("500", "500");
        var proxy = E2E.ProxyOptions($$"""
            "static":{"strategy":"errored","data":{{StaticData}}}
            """);
        var config = Krakend.Config(E2E.Endpoint("/static", proxy, upstreams.Backends()), Krakend.Router("\"return_error_msg\":true"));
        await using var gateway = await TestGateway.StartAsync(config);

        var reply = await E2E.GetAsync(gateway, "/static");

        Assert.Equal(200, reply.Status);
        Assert.Equal(OnlyStatic, reply.Body);
        Assert.Equal("false", reply.Completed);
        Assert.Equal("application/json; charset=utf-8", reply.ContentType);
    }

    [Fact]
    public async Task Static_WithSequential_AppliesToTheChainResult()
    {
        await using var upstreams = await Upstreams.StartAsync("""{"id":1}""", "500");
        var proxy = E2E.ProxyOptions($$"""
            "sequential":true,"static":{"strategy":"incomplete","data":{{StaticData}}}
            """);
        var backends = E2E.Backend(upstreams[0], "/first") + "," + E2E.Backend(upstreams[1], "/second/{resp0_id}");
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/static", proxy, backends)));

        var reply = await E2E.GetAsync(gateway, "/static");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"extra":true,"id":1,"s":"static"}""", reply.Body);
        Assert.Equal("false", reply.Completed);
    }
}
