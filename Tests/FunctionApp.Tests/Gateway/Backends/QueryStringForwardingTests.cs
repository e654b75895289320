using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;
using Microsoft.AspNetCore.WebUtilities;

namespace FunctionApp.Gateway.Backends.Tests;

/// <summary>input_query_strings: none by default, a case-sensitive list, or <c>["*"]</c>; keys sorted as Go's url.Values.Encode.</summary>
public sealed class QueryStringForwardingTests
{
    private static async Task<CapturedRequest> ForwardAsync(string target, string inputQueryStrings = "", string urlPattern = "/q")
    {
        await using var backend = await CapturingBackend.StartAsync();
        var extras = inputQueryStrings.Length > 0 ? $"\"input_query_strings\":{inputQueryStrings}," : string.Empty;
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/q", backend.BaseUrl, urlPattern, extras));

        var response = await RawHttp.SendAsync(gateway.Port, $"GET {target} HTTP/1.1\r\nHost: gw\r\nConnection: close");

        Assert.Equal(200, response.Status);
        return backend.OnlyRequest();
    }

    [Fact]
    public async Task InputQueryStrings_Default_ForwardsNone()
    {
        var received = await ForwardAsync("/q?a=1&b=2");

        Assert.Equal("/q", received.RawTarget);
    }

    [Fact]
    public async Task InputQueryStrings_List_ForwardsOnlyListedNamesCaseSensitively()
    {
        var received = await ForwardAsync("/q?c=3&b=2&a=1&A=4", """["a","c"]""");

        Assert.Equal("/q?a=1&c=3", received.RawTarget);
    }

    [Fact]
    public async Task InputQueryStrings_Wildcard_ForwardsAllWithRepeatedValuesAndSortedKeys()
    {
        var received = await ForwardAsync("/q?z=1&b=2&a=0&b=3", """["*"]""");

        Assert.Equal("/q?a=0&b=2&b=3&z=1", received.RawTarget);
    }

    [Fact]
    public async Task InputQueryStrings_Wildcard_KeepsNamesThatDifferOnlyInCase()
    {
        var received = await ForwardAsync("/q?a=1&A=2&a=3", """["*"]""");

        Assert.Equal("/q?A=2&a=1&a=3", received.RawTarget);
    }

    [Fact]
    public async Task InputQueryStrings_Values_AreReEscaped()
    {
        var received = await ForwardAsync("/q?x=a%20b&x=%26%3D&y=%C3%A9&k%20ey=v", """["*"]""");

        var query = QueryHelpers.ParseQuery(received.QueryString);
        Assert.Equal(new[] { "a b", "&=" }, query["x"].ToArray<string?>());
        Assert.Equal("é", query["y"].ToString());
        Assert.Equal("v", query["k ey"].ToString());
        Assert.Equal(3, query.Count);
    }

    [Fact]
    public async Task InputQueryStrings_UrlPatternWithQuery_AppendsAfterIt()
    {
        var received = await ForwardAsync("/q?b=2&a=1", """["*"]""", urlPattern: "/q?fixed=yes");

        Assert.Equal("/q?fixed=yes&a=1&b=2", received.RawTarget);
    }

    [Theory]
    [InlineData("""["*"]""")]
    [InlineData("""["code","a"]""")]
    public async Task InputQueryStrings_FunctionKeyCode_IsNeverForwarded(string inputQueryStrings)
    {
        var received = await ForwardAsync("/q?code=secret-key&a=1", inputQueryStrings);

        Assert.Equal("/q?a=1", received.RawTarget);
    }

    [Fact]
    public async Task InputQueryStrings_EmptyValue_IsKept()
    {
        var received = await ForwardAsync("/q?flag=&b=1", """["*"]""");

        Assert.Equal("/q?b=1&flag=", received.RawTarget);
    }
}
