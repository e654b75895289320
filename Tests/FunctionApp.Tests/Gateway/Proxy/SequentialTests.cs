using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;

namespace FunctionApp.Gateway.Proxy.Tests;

/// <summary>
/// <c>proxy.sequential</c> end to end: backends called in order, <c>{respN_field}</c> placeholders filled from
/// earlier formatted responses, and how failures stop the chain.
/// </summary>
public sealed class SequentialTests
{
    private const string Sequential = "\"extra_config\":{\"proxy\":{\"sequential\":true}},";

    private static Task<TestGateway> StartAsync(string backends, string endpointExtras = "", string service = "") =>
        TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/seq/{p}", Sequential + endpointExtras, backends), service));

    [Theory]
    [InlineData("""{"id":42}""", "/items/{resp0_id}", "/items/42", "")]
    [InlineData("""{"id":"abc"}""", "/items/{resp0_id}", "/items/abc", "")]
    [InlineData("""{"price":1.50}""", "/items/{resp0_price}", "/items/1.50", "")]
    [InlineData("""{"big":12345678901234567890}""", "/items/{resp0_big}", "/items/12345678901234567890", "")]
    [InlineData("""{"n":1e3}""", "/items/{resp0_n}", "/items/1e3", "")]
    [InlineData("""{"flag":true}""", "/items/{resp0_flag}", "/items/true", "")]
    [InlineData("""{"user":{"id":7}}""", "/users/{resp0_user.id}", "/users/7", "")]
    [InlineData("""{"user":{"address":{"city":"Oslo"}}}""", "/cities/{resp0_user.address.city}", "/cities/Oslo", "")]
    [InlineData("""{"ids":[1,2,3]}""", "/items/{resp0_ids}", "/items/1,2,3", "")]
    [InlineData("""{"ids":["a","b"]}""", "/items/{resp0_ids}", "/items/a,b", "")]
    [InlineData("""{"id":5}""", "/items/{p}/{resp0_id}", "/items/P/5", "")]
    [InlineData("""{"id":42}""", "/items?id={resp0_id}", "/items", "?id=42")]
    public async Task Sequential_Placeholder_FilledFromBackend0(string first, string urlPattern, string path, string query)
    {
        await using var upstreams = await Upstreams.StartAsync(first, """{"second":true}""");
        var backends = E2E.Backend(upstreams[0], "/first") + "," + E2E.Backend(upstreams[1], urlPattern);
        await using var gateway = await StartAsync(backends);

        var reply = await E2E.GetAsync(gateway, "/seq/P");

        Assert.Equal(200, reply.Status);
        Assert.Equal("true", reply.Completed);
        Assert.Contains("\"second\":true", reply.Body, StringComparison.Ordinal);
        var received = Assert.Single(upstreams[1].Requests);
        Assert.Equal(path, received.Path);
        Assert.Equal(query, received.QueryString);
    }

    [Theory]
    [InlineData("\"mapping\":{\"id\":\"ident\"},", "/items/{resp0_ident}", "/items/1")]
    [InlineData("\"group\":\"g\",", "/items/{resp0_g.id}", "/items/1")]
    [InlineData("\"target\":\"data\",", "/items/{resp0_id}", "/items/42")]
    [InlineData("\"allow\":[\"data\"],", "/items/{resp0_data.id}", "/items/42")]
    [InlineData("\"extra_config\":{\"proxy\":{\"flatmap_filter\":[{\"type\":\"move\",\"args\":[\"data.id\",\"moved\"]}]}},", "/items/{resp0_moved}", "/items/42")]
    public async Task Sequential_Placeholder_ReadsTheFormattedResponse(string firstExtras, string urlPattern, string path)
    {
        await using var upstreams = await Upstreams.StartAsync("""{"id":1,"data":{"id":42}}""", """{"second":true}""");
        var backends = E2E.Backend(upstreams[0], "/first", firstExtras) + "," + E2E.Backend(upstreams[1], urlPattern);
        await using var gateway = await StartAsync(backends);

        var reply = await E2E.GetAsync(gateway, "/seq/P");

        Assert.Equal(200, reply.Status);
        Assert.Equal("true", reply.Completed);
        Assert.Equal(path, Assert.Single(upstreams[1].Requests).Path);
    }

    [Fact]
    public async Task Sequential_ThreeBackends_EachCanUseAnyEarlierResponse()
    {
        await using var upstreams = await Upstreams.StartAsync("""{"a":1,"x":"first"}""", """{"b":2,"x":"second"}""", """{"c":3}""");
        var backends = E2E.Backend(upstreams[0], "/first")
            + "," + E2E.Backend(upstreams[1], "/second/{resp0_a}")
            + "," + E2E.Backend(upstreams[2], "/third/{resp0_a}/{resp1_b}");
        await using var gateway = await StartAsync(backends);

        var reply = await E2E.GetAsync(gateway, "/seq/P");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"a":1,"b":2,"c":3,"x":"second"}""", reply.Body);
        Assert.Equal("true", reply.Completed);
        Assert.Equal("/second/1", Assert.Single(upstreams[1].Requests).Path);
        Assert.Equal("/third/1/2", Assert.Single(upstreams[2].Requests).Path);
    }

    [Theory]
    [InlineData("500")]
    [InlineData("invalid")]
    [InlineData("closed")]
    [InlineData("[1,2]")]
    public async Task Sequential_FirstBackendFails_500AndTheChainStops(string firstSpec)
    {
        await using var upstreams = await Upstreams.StartAsync(firstSpec, """{"second":true}""");
        await using var gateway = await StartAsync(upstreams.Backends(), "\"cache_ttl\":\"60s\",");

        var reply = await E2E.GetAsync(gateway, "/seq/P");

        Assert.Equal(500, reply.Status);
        Assert.Equal(string.Empty, reply.Body);
        Assert.Equal("false", reply.Completed);
        Assert.Null(reply.CacheControl);
        Assert.Equal(0, upstreams[1].Calls);
    }

    [Fact]
    public async Task Sequential_FirstBackendFailsWithReturnErrorCode_500NotTheBackendStatus()
    {
        await using var upstreams = await Upstreams.StartAsync("500", """{"second":true}""");
        var backends = E2E.Backend(upstreams[0], "/b0", "\"extra_config\":{\"backend/http\":{\"return_error_code\":true}},") + "," + E2E.Backend(upstreams[1], "/b1");
        await using var gateway = await StartAsync(backends);

        var reply = await E2E.GetAsync(gateway, "/seq/P");

        Assert.Equal(500, reply.Status);
    }

    [Theory]
    [InlineData("500")]
    [InlineData("invalid")]
    [InlineData("closed")]
    public async Task Sequential_LaterBackendFails_Partial200AndTheChainStops(string secondSpec)
    {
        await using var upstreams = await Upstreams.StartAsync("""{"a":1}""", secondSpec, """{"c":3}""");
        await using var gateway = await StartAsync(upstreams.Backends(), "\"cache_ttl\":\"60s\",");

        var reply = await E2E.GetAsync(gateway, "/seq/P");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"a":1}""", reply.Body);
        Assert.Equal("false", reply.Completed);
        Assert.Null(reply.CacheControl);
        Assert.Equal(0, upstreams[2].Calls);
    }

    [Fact]
    public async Task Sequential_LastBackendFails_Partial200WithEverythingBefore()
    {
        await using var upstreams = await Upstreams.StartAsync("""{"a":1}""", """{"b":2}""", "500");
        await using var gateway = await StartAsync(upstreams.Backends());

        var reply = await E2E.GetAsync(gateway, "/seq/P");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"a":1,"b":2}""", reply.Body);
        Assert.Equal("false", reply.Completed);
    }

    [Fact]
    public async Task Sequential_LaterBackendIncompleteWithReturnErrorDetails_ChainStopsWithItsDetails()
    {
        await using var first = await Upstream.StartAsync("""{"id":1}""");
        await using var failing = await Upstream.StartAsync((_, context) => CapturingBackend.RespondJsonAsync(context, "{}", 503));
        await using var last = await Upstream.StartAsync("""{"c":3}""");
        var backends = E2E.Backend(first, "/first")
            + "," + E2E.Backend(failing, "/second/{resp0_id}", "\"extra_config\":{\"backend/http\":{\"return_error_details\":\"b\"}},")
            + "," + E2E.Backend(last, "/third");
        await using var gateway = await StartAsync(backends);

        var reply = await E2E.GetAsync(gateway, "/seq/P");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"error_b":{"http_status_code":503,"http_body":"{}","http_body_encoding":"application/json"},"id":1}""", reply.Body);
        Assert.Equal("false", reply.Completed);
        Assert.Equal(0, last.Calls);
    }

    [Theory]
    [InlineData("""{"other":1}""", "/items/{resp0_id}")]
    [InlineData("""{"user":{"name":"x"}}""", "/items/{resp0_user.id}")]
    [InlineData("""{"user":"flat"}""", "/items/{resp0_user.id}")]
    [InlineData("""{"id":null}""", "/items/{resp0_id}")]
    [InlineData("""{"id":{"nested":1}}""", "/items/{resp0_id}")]
    public async Task Sequential_ReferencedFieldMissing_BackendNotCalledAndPartial(string first, string urlPattern)
    {
        await using var upstreams = await Upstreams.StartAsync(first, """{"second":true}""");
        var backends = E2E.Backend(upstreams[0], "/first") + "," + E2E.Backend(upstreams[1], urlPattern);
        await using var gateway = await StartAsync(backends);

        var reply = await E2E.GetAsync(gateway, "/seq/P");

        Assert.Equal(200, reply.Status);
        Assert.Equal(first, reply.Body);
        Assert.Equal("false", reply.Completed);
        Assert.Equal(0, upstreams[1].Calls);
    }

    [Fact]
    public async Task Sequential_SlowFirstBackend_500AtTheDeadline()
    {
        await using var upstreams = await Upstreams.StartAsync("slow", """{"second":true}""");
        await using var gateway = await StartAsync(upstreams.Backends(), "\"timeout\":\"500ms\",", Krakend.Router("\"return_error_msg\":true"));

        var reply = await E2E.GetAsync(gateway, "/seq/P");

        Assert.Equal(500, reply.Status);
        Assert.Equal("context deadline exceeded", reply.Body);
        Assert.True(reply.Elapsed < TimeSpan.FromSeconds(5), $"took {reply.Elapsed}");
        Assert.Equal(0, upstreams[1].Calls);
    }

    [Fact]
    public async Task Sequential_BackendsAreCalledOneAfterTheOther()
    {
        var inFlight = 0;
        var overlapped = false;
        async Task RespondAsync(Microsoft.AspNetCore.Http.HttpContext context, string json)
        {
            overlapped |= Interlocked.Increment(ref inFlight) > 1;
            await Task.Delay(50);
            Interlocked.Decrement(ref inFlight);
            await CapturingBackend.RespondJsonAsync(context, json);
        }

        await using var first = await Upstream.StartAsync((_, context) => RespondAsync(context, """{"a":1}"""));
        await using var second = await Upstream.StartAsync((_, context) => RespondAsync(context, """{"b":2}"""));
        await using var third = await Upstream.StartAsync((_, context) => RespondAsync(context, """{"c":3}"""));
        await using var gateway = await StartAsync(E2E.Backend(first, "/1") + "," + E2E.Backend(second, "/2") + "," + E2E.Backend(third, "/3"));

        var reply = await E2E.GetAsync(gateway, "/seq/P");

        Assert.Equal("""{"a":1,"b":2,"c":3}""", reply.Body);
        Assert.False(overlapped, "two backends were called at the same time");
    }

    [Fact]
    public async Task Sequential_ShadowBackend_LeftOutOfTheChainAndItsIndex()
    {
        // KrakenD removes shadow backends before building the chain, so resp0 is the first regular backend and
        // the backend after the shadow one is resp1.
        await using var upstreams = await Upstreams.StartAsync("""{"id":1}""", """{"s":"shadow"}""", """{"b":2}""", """{"c":3}""");
        var backends = E2E.Backend(upstreams[0], "/first")
            + "," + E2E.Backend(upstreams[1], "/shadow", "\"extra_config\":{\"proxy\":{\"shadow\":true}},")
            + "," + E2E.Backend(upstreams[2], "/second/{resp0_id}")
            + "," + E2E.Backend(upstreams[3], "/third/{resp1_b}");
        await using var gateway = await StartAsync(backends);

        var reply = await E2E.GetAsync(gateway, "/seq/P");

        Assert.Equal(200, reply.Status);
        Assert.Equal("""{"b":2,"c":3,"id":1}""", reply.Body);
        Assert.Equal("true", reply.Completed);
        Assert.Equal("/second/1", Assert.Single(upstreams[2].Requests).Path);
        Assert.Equal("/third/2", Assert.Single(upstreams[3].Requests).Path);
        await upstreams[1].WaitForCallsAsync(1);
    }
}
