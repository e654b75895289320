using System.Text;
using FunctionApp.Gateway.Configuration;
using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Gateway.Routing;

namespace FunctionApp.Gateway.Backends.Tests;

/// <summary>
/// The url_pattern on its own, below the router's checks: whatever parameter value it is given, the backend must
/// receive a path inside the pattern.
/// </summary>
public sealed class UrlPatternTests
{
    private static UrlPattern Compile(string pattern, params string[] parameters)
    {
        var problems = new List<string>();
        var compiled = UrlPattern.TryCompile(pattern, parameters, "/endpoint", problems);
        Assert.Empty(problems);
        return compiled!;
    }

    private static string Fill(UrlPattern pattern, string name, string value)
    {
        var url = new StringBuilder();
        Assert.True(pattern.AppendTo(url, new Dictionary<string, string> { [name] = value }));
        return url.ToString();
    }

    [Theory]
    [InlineData("a b", "/u/a%20b/p")]
    [InlineData("a/b", "/u/a%2Fb/p")]
    [InlineData("a?b#c", "/u/a%3Fb%23c/p")]
    [InlineData("été", "/u/%C3%A9t%C3%A9/p")]
    [InlineData("100%", "/u/100%25/p")]
    public void AppendTo_Value_IsPercentEscaped(string value, string expected) =>
        Assert.Equal(expected, Fill(Compile("/u/{id}/p", "id"), "id", value));

    [Fact]
    public void AppendTo_ValueInQuery_IsPercentEscaped() =>
        Assert.Equal("/s?q=a%26b%3Dc&x=1", Fill(Compile("/s?q={term}&x=1", "term"), "term", "a&b=c"));

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public void AppendTo_DotSegmentInPath_IsRefused(string value) =>
        Assert.False(Compile("/u/{id}/p", "id").AppendTo(new StringBuilder(), new Dictionary<string, string> { ["id"] = value }));

    [Fact]
    public void AppendTo_DotSegmentInQuery_IsEscapedValue() =>
        Assert.Equal("/s?q=..", Fill(Compile("/s?q={term}", "term"), "term", ".."));

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public async Task SendAsync_DotSegmentValue_FailsWithoutCallingBackend(string value)
    {
        await using var backend = await CapturingBackend.StartAsync();
        var model = new BackendModel
        {
            Hosts = [backend.BaseUrl],
            UrlPattern = Compile("/api/users/{id}/profile", "id"),
            Method = "GET",
            Encoding = "json",
            Timeout = TimeSpan.FromSeconds(5),
            ConfigPath = "endpoints[0].backend[0]",
        };
        using var invoker = BackendHttpClient.Create(new BackendClientOptions());
        var proxy = new BackendProxy(model, invoker, BackendProxy.CreatePipeline(model, TimeProvider.System));

        using var response = await proxy.SendAsync(
            new ProxyRequest { Method = "GET", Params = new Dictionary<string, string> { ["id"] = value }, Headers = [], Query = [] },
            CancellationToken.None);

        Assert.Null(response.Data);
        Assert.Equal(GatewayErrorKind.InvalidRequest, response.Error?.Kind);
        Assert.Empty(backend.Requests);
    }

    [Fact]
    public void TryCompile_UnknownPlaceholder_IsAProblem()
    {
        var problems = new List<string>();
        Assert.Null(UrlPattern.TryCompile("/x/{other}", ["id"], "/e/{id}", problems));
        Assert.NotEmpty(problems);
    }

    [Fact]
    public void EndpointTemplate_Placeholder_IsAWholeSegment()
    {
        var problems = new List<string>();
        var template = EndpointTemplate.TryParse("/users/{id}/orders", problems);
        Assert.Empty(problems);
        Assert.Equal(["id"], template!.ParameterNames);
    }
}
