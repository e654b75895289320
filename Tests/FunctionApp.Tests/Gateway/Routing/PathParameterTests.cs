using FunctionApp.Gateway.ProxyKit.Tests;
using FunctionApp.Tests.Common;

namespace FunctionApp.Gateway.Routing.Tests;

/// <summary>
/// Endpoint parameters go into the backend's url_pattern escaped, so a value can never leave the segment the pattern
/// put it in. Requests are written on a raw socket so that no client normalises them first, and every assertion is
/// about what the backend actually received.
/// </summary>
public sealed class PathParameterTests
{
    private const string Prefix = "/api/users/";
    private const string Suffix = "/profile";

    private static string Config(string host) =>
        Krakend.OneEndpoint("/users/{id}", host, "/api/users/{id}/profile");

    private static Task<RawResponse> GetAsync(TestGateway gateway, string target) =>
        RawHttp.SendAsync(gateway.Port, $"GET {target} HTTP/1.1\r\nHost: gateway.test\r\nConnection: close");

    /// <summary>Whatever the outcome, nothing the backend received may escape the pattern's segment.</summary>
    private static void AssertStaysInSegment(CapturingBackend backend)
    {
        foreach (var request in backend.Requests)
        {
            Assert.StartsWith(Prefix, request.RawTarget, StringComparison.Ordinal);
            Assert.EndsWith(Suffix, request.RawTarget, StringComparison.Ordinal);
            var value = request.RawTarget[Prefix.Length..^Suffix.Length];
            Assert.DoesNotContain('/', value);
            Assert.DoesNotContain('?', value);
            Assert.DoesNotContain('#', value);
            Assert.NotEqual(".", Uri.UnescapeDataString(value));
            Assert.NotEqual("..", Uri.UnescapeDataString(value));
            Assert.StartsWith(Prefix, request.Path, StringComparison.Ordinal);
            Assert.EndsWith(Suffix, request.Path, StringComparison.Ordinal);
            Assert.Equal(string.Empty, request.QueryString);
        }
    }

    [Fact]
    public async Task Param_PlainValue_FillsUrlPattern()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Config(backend.BaseUrl));

        var response = await GetAsync(gateway, "/users/42");

        Assert.Equal(200, response.Status);
        Assert.Equal("/api/users/42/profile", backend.OnlyRequest().RawTarget);
    }

    [Fact]
    public async Task Param_FirstLetterCaseInUrlPattern_IsTheSameParameter()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/items/{item}/{kind}", backend.BaseUrl, "/v1/{Kind}/{item}"));

        var response = await GetAsync(gateway, "/items/7/books");

        Assert.Equal(200, response.Status);
        Assert.Equal("/v1/books/7", backend.OnlyRequest().RawTarget);
    }

    [Theory]
    [InlineData("/users/..%2F..%2Fadmin")]
    [InlineData("/users/%2E%2E%2Fadmin")]
    [InlineData("/users/a%2Fb")]
    [InlineData("/users/a%2fb")]
    [InlineData("/users/a%3Fb")]
    [InlineData("/users/a%23b")]
    [InlineData("/users/a%252Fb")]
    [InlineData("/users/%252E%252E")]
    public async Task Param_EncodedSeparatorOrEscape_Returns400WithoutCallingBackend(string target)
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Config(backend.BaseUrl));

        var response = await GetAsync(gateway, target);

        Assert.Equal(400, response.Status);
        Assert.Equal("error: encoded url params", response.BodyText);
        Assert.Equal("Version 2.13.8", Assert.Single(response.Values("X-Krakend")));
        Assert.Empty(backend.Requests);
    }

    [Theory]
    [InlineData("/users/..")]
    [InlineData("/users/.")]
    [InlineData("/users/%2E%2E")]
    [InlineData("/users/%2e")]
    [InlineData("/users/.%2E")]
    [InlineData("/users/../admin")]
    [InlineData("/users/x/../../admin")]
    [InlineData("/users/..;/admin")]
    public async Task Param_DotSegment_IsNeverProxiedOutsideThePattern(string target)
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Config(backend.BaseUrl));

        var response = await GetAsync(gateway, target);

        Assert.True(response.Status is 400 or 404, $"status {response.Status} for {target}");
        AssertStaysInSegment(backend);
        Assert.Empty(backend.Requests);
    }

    [Theory]
    [InlineData("/users/a%20b", "a%20b")]
    [InlineData("/users/%C3%A9t%C3%A9", "%C3%A9t%C3%A9")]
    [InlineData("/users/%F0%9F%98%80", "%F0%9F%98%80")]
    [InlineData("/users/..%5C..%5Cadmin", "..%5C..%5Cadmin")]
    [InlineData("/users/a;b=c", "a%3Bb%3Dc")]
    [InlineData("/users/a&b", "a%26b")]
    [InlineData("/users/a+b", "a%2Bb")]
    [InlineData("/users/...", "...")]
    [InlineData("/users/~me", "~me")]
    public async Task Param_SpecialCharacters_AreEscapedInsideTheSegment(string target, string expectedSegment)
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Config(backend.BaseUrl));

        var response = await GetAsync(gateway, target);

        Assert.Equal(200, response.Status);
        Assert.Equal(Prefix + expectedSegment + Suffix, backend.OnlyRequest().RawTarget);
        AssertStaysInSegment(backend);
    }

    [Fact]
    public async Task Param_QueryStringOnRequest_DoesNotBecomePartOfTheParam()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Config(backend.BaseUrl));

        var response = await GetAsync(gateway, "/users/42?id=../../admin#frag");

        Assert.Equal(200, response.Status);
        Assert.Equal("/api/users/42/profile", backend.OnlyRequest().RawTarget);
    }

    [Fact]
    public async Task Param_InUrlPatternQuery_CannotAddQueryParameters()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Krakend.OneEndpoint("/search/{term}", backend.BaseUrl, "/find?q={term}&limit=5"));

        var response = await GetAsync(gateway, "/search/a&admin=true%20x");

        Assert.Equal(200, response.Status);
        var request = backend.OnlyRequest();
        Assert.Equal("/find?q=a%26admin%3Dtrue%20x&limit=5", request.RawTarget);
        Assert.Equal("/find", request.Path);
    }

    [Fact]
    public async Task Param_EmptySegment_IsNotMatched()
    {
        await using var backend = await CapturingBackend.StartAsync();
        await using var gateway = await TestGateway.StartAsync(Config(backend.BaseUrl));

        var response = await GetAsync(gateway, "/users//");

        Assert.Equal(404, response.Status);
        Assert.Empty(backend.Requests);
    }
}
