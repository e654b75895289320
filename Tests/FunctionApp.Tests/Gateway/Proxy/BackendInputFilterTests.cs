using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;

namespace FunctionApp.Gateway.Proxy.Tests;

/// <summary>
/// Backend-level <c>input_headers</c> and <c>input_query_strings</c>: a second filter after the endpoint's, applied
/// after the gateway added its own headers (so <c>X-Forwarded-For</c> is dropped unless listed; <c>[""]</c>
/// forwards nothing).
/// </summary>
public sealed class BackendInputFilterTests
{
    private static async Task<CapturedRequest> SendAsync(string endpointExtras, string backendExtras, string target = "/h")
    {
        await using var upstream = await Upstream.StartAsync("""{"ok":true}""");
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/h", endpointExtras, E2E.Backend(upstream, "/x", backendExtras))));
        using var request = new HttpRequestMessage(HttpMethod.Get, target);
        request.Headers.TryAddWithoutValidation("X-A", "1");
        request.Headers.TryAddWithoutValidation("X-B", "2");
        request.Headers.TryAddWithoutValidation("X-C", "3");

        var reply = await E2E.SendAsync(gateway, request);

        Assert.Equal(200, reply.Status);
        return Assert.Single(upstream.Requests);
    }

    [Theory]
    [InlineData("", "X-A,X-B,X-Forwarded-For,X-Forwarded-Host,User-Agent", "X-C")]
    [InlineData("\"input_headers\":[\"X-A\"],", "X-A", "X-B,X-C,X-Forwarded-For,X-Forwarded-Host,Via")]
    [InlineData("\"input_headers\":[\"x-a\"],", "X-A", "X-B,X-Forwarded-For")]
    [InlineData("\"input_headers\":[\"X-A\",\"X-Forwarded-For\"],", "X-A,X-Forwarded-For", "X-B,X-Forwarded-Host")]
    [InlineData("\"input_headers\":[\"X-Forwarded-Host\",\"User-Agent\"],", "X-Forwarded-Host,User-Agent", "X-A,X-B,X-Forwarded-For")]
    [InlineData("\"input_headers\":[\"X-C\"],", "", "X-A,X-B,X-C,X-Forwarded-For")]
    [InlineData("\"input_headers\":[\"\"],", "", "X-A,X-B,X-C,X-Forwarded-For,X-Forwarded-Host,Via")]
    [InlineData("\"input_headers\":[\"*\"],", "X-A,X-B,X-Forwarded-For,X-Forwarded-Host", "X-C")]
    public async Task BackendInputHeaders_FilterAfterTheEndpoint(string backendExtras, string present, string absent)
    {
        var received = await SendAsync("\"input_headers\":[\"X-A\",\"X-B\"],", backendExtras);

        foreach (var name in present.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.True(received.HasHeader(name), $"{name} should reach the backend");
        }

        foreach (var name in absent.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.False(received.HasHeader(name), $"{name} should not reach the backend");
        }
    }

    [Fact]
    public async Task BackendInputHeaders_ListedGatewayHeaders_KeepTheirValues()
    {
        var received = await SendAsync("", "\"input_headers\":[\"X-Forwarded-For\",\"User-Agent\"],");

        Assert.Equal("127.0.0.1", received.Header("X-Forwarded-For"));
        Assert.Equal("KrakenD Version 2.13.8", received.Header("User-Agent"));
    }

    [Fact]
    public async Task BackendInputHeaders_EndpointForwardsAll_BackendKeepsOnlyItsList()
    {
        var received = await SendAsync("\"input_headers\":[\"*\"],", "\"input_headers\":[\"X-C\"],");

        Assert.Equal("3", received.Header("X-C"));
        Assert.False(received.HasHeader("X-A"));
        Assert.False(received.HasHeader("X-Forwarded-For"));
    }

    [Fact]
    public async Task BackendInputHeaders_EachBackendOfAMergeFiltersOnItsOwn()
    {
        await using var upstreams = await Upstreams.StartAsync("""{"a":1}""", """{"b":2}""");
        var backends = E2E.Backend(upstreams[0], "/b0", "\"input_headers\":[\"X-A\"],") + "," + E2E.Backend(upstreams[1], "/b1", "\"input_headers\":[\"X-B\"],");
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(E2E.Endpoint("/h", "\"input_headers\":[\"X-A\",\"X-B\"],", backends)));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/h");
        request.Headers.TryAddWithoutValidation("X-A", "1");
        request.Headers.TryAddWithoutValidation("X-B", "2");

        var reply = await E2E.SendAsync(gateway, request);

        Assert.Equal(200, reply.Status);
        var first = Assert.Single(upstreams[0].Requests);
        var second = Assert.Single(upstreams[1].Requests);
        Assert.Equal("1", first.Header("X-A"));
        Assert.False(first.HasHeader("X-B"));
        Assert.Equal("2", second.Header("X-B"));
        Assert.False(second.HasHeader("X-A"));
    }

    [Theory]
    [InlineData("", "/x", "?a=1&b=2&b=3")]
    [InlineData("\"input_query_strings\":[\"a\"],", "/x", "?a=1")]
    [InlineData("\"input_query_strings\":[\"b\"],", "/x", "?b=2&b=3")]
    [InlineData("\"input_query_strings\":[\"A\"],", "/x", "")]
    [InlineData("\"input_query_strings\":[\"c\"],", "/x", "")]
    [InlineData("\"input_query_strings\":[\"\"],", "/x", "")]
    [InlineData("\"input_query_strings\":[\"*\"],", "/x", "?a=1&b=2&b=3")]
    [InlineData("\"input_query_strings\":[\"a\"],", "/x?fixed=yes", "?fixed=yes&a=1")]
    [InlineData("\"input_query_strings\":[\"\"],", "/x?fixed=yes", "?fixed=yes")]
    public async Task BackendInputQueryStrings_FilterAfterTheEndpoint(string backendExtras, string urlPattern, string query)
    {
        await using var upstream = await Upstream.StartAsync("""{"ok":true}""");
        var endpoint = E2E.Endpoint("/q", "\"input_query_strings\":[\"a\",\"b\"],", E2E.Backend(upstream, urlPattern, backendExtras));
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(endpoint));

        var reply = await E2E.GetAsync(gateway, "/q?c=4&b=2&a=1&b=3");

        Assert.Equal(200, reply.Status);
        Assert.Equal(query, Assert.Single(upstream.Requests).QueryString);
    }

    [Fact]
    public async Task BackendInputQueryStrings_EndpointForwardsAll_BackendKeepsOnlyItsList()
    {
        await using var upstream = await Upstream.StartAsync("""{"ok":true}""");
        var endpoint = E2E.Endpoint("/q", "\"input_query_strings\":[\"*\"],", E2E.Backend(upstream, "/x", "\"input_query_strings\":[\"c\"],"));
        await using var gateway = await TestGateway.StartAsync(Krakend.Config(endpoint));

        await E2E.GetAsync(gateway, "/q?c=4&b=2&a=1");

        Assert.Equal("?c=4", Assert.Single(upstream.Requests).QueryString);
    }
}
