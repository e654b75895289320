using System.Text;
using FunctionApp.Gateway.Backends;

namespace FunctionApp.Gateway.Configuration.Tests;

/// <summary>Backend url_patterns: compile-time checks and escaping of the values filled in.</summary>
public sealed class UrlPatternTests
{
    [Fact]
    public void AppendTo_PlainValue_IsSubstituted()
    {
        var pattern = Compile("/v1/users/{id}/orders", "id");

        Assert.Equal("/v1/users/42/orders", Render(pattern, ("id", "42")));
    }

    [Fact]
    public void AppendTo_PatternWithoutPlaceholders_IsCopied()
    {
        var pattern = Compile("/static/path?x=1");

        Assert.Equal("/static/path?x=1", Render(pattern));
        Assert.Empty(pattern.PlaceholderNames);
    }

    [Theory]
    [InlineData("a/b", "a%2Fb")]
    [InlineData("a?b", "a%3Fb")]
    [InlineData("a#b", "a%23b")]
    [InlineData("a b", "a%20b")]
    [InlineData("a%2Fb", "a%252Fb")]
    [InlineData("a&b=c", "a%26b%3Dc")]
    [InlineData("../admin", "..%2Fadmin")]
    [InlineData("%2E%2E", "%252E%252E")]
    [InlineData("a..b", "a..b")]
    [InlineData("...", "...")]
    [InlineData("caf\u00E9", "caf%C3%A9")]
    [InlineData("a-b_c.d~e", "a-b_c.d~e")]
    public void AppendTo_ValueInPath_IsEscapedToStayInItsSegment(string value, string escaped)
    {
        var pattern = Compile("/users/{id}/x", "id");

        Assert.Equal($"/users/{escaped}/x", Render(pattern, ("id", value)));
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    public void AppendTo_DotSegmentInPath_IsRefused(string value)
    {
        var pattern = Compile("/users/{id}/x", "id");

        var complete = pattern.AppendTo(new StringBuilder(), new Dictionary<string, string> { ["id"] = value });

        Assert.False(complete);
    }

    [Theory]
    [InlineData("a b", "a%20b")]
    [InlineData("a&b=c", "a%26b%3Dc")]
    [InlineData("a#b", "a%23b")]
    [InlineData("x/y?z", "x%2Fy%3Fz")]
    [InlineData("..", "..")]
    [InlineData(".", ".")]
    public void AppendTo_ValueInQuery_IsEscapedAsAQueryValue(string value, string escaped)
    {
        var pattern = Compile("/search?q={q}&lang=en", "q");

        Assert.Equal($"/search?q={escaped}&lang=en", Render(pattern, ("q", value)));
    }

    [Fact]
    public void TryCompile_QueryPart_IsKeptAndMarked()
    {
        var pattern = Compile("/param_forwarding/{bar}?foo={foo}", "foo", "bar");

        Assert.True(pattern.HasQuery);
        Assert.Equal("/param_forwarding/{bar}?foo={foo}", pattern.Text);
        Assert.Equal(["bar", "foo"], pattern.PlaceholderNames);
        Assert.Equal("/param_forwarding/b?foo=f", Render(pattern, ("foo", "f"), ("bar", "b")));
    }

    [Fact]
    public void TryCompile_NoQuery_IsNotMarked()
    {
        Assert.False(Compile("/a/{id}", "id").HasQuery);
    }

    [Fact]
    public void TryCompile_SamePlaceholderTwice_FillsBoth()
    {
        var pattern = Compile("/a/{id}/b/{id}?again={id}", "id");

        Assert.Equal("/a/7/b/7?again=7", Render(pattern, ("id", "7")));
    }

    [Theory]
    [InlineData("id", "{Id}")]
    [InlineData("Id", "{id}")]
    [InlineData("userId", "{UserId}")]
    [InlineData("id", "{id}")]
    public void TryCompile_PlaceholderDifferingOnlyInFirstLetterCase_ResolvesToTheEndpointParameter(string parameter, string placeholder)
    {
        var pattern = Compile("/u/" + placeholder, parameter);

        Assert.Equal([parameter], pattern.PlaceholderNames);
        Assert.Equal("/u/v", Render(pattern, (parameter, "v")));
    }

    [Theory]
    [InlineData("id", "{ID}")]
    [InlineData("id", "{iD}")]
    [InlineData("userId", "{userid}")]
    [InlineData("id", "{idx}")]
    public void TryCompile_PlaceholderDifferingBeyondTheFirstLetter_IsNotAParameter(string parameter, string placeholder)
    {
        var problems = new List<string>();

        var pattern = UrlPattern.TryCompile("/u/" + placeholder, [parameter], "/e/{" + parameter + "}", problems);

        Assert.Null(pattern);
        Assert.Equal([$"{placeholder} is not a parameter of /e/{{{parameter}}}"], problems);
    }

    [Fact]
    public void AppendTo_MissingParameterValue_LeavesItEmpty()
    {
        var pattern = Compile("/a/{id}/b", "id");

        Assert.Equal("/a//b", Render(pattern));
    }

    [Fact]
    public void AppendTo_ExistingBuilderContent_IsKept()
    {
        var pattern = Compile("/a/{id}", "id");
        var builder = new StringBuilder("http://h.test");

        Assert.True(pattern.AppendTo(builder, new Dictionary<string, string> { ["id"] = "1" }));
        Assert.Equal("http://h.test/a/1", builder.ToString());
    }

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData("/a#frag", "\"/a#frag\" must not contain a fragment ('#')")]
    [InlineData("/a/{id", "\"/a/{id\" has an unclosed '{'")]
    [InlineData("/a/id}", "\"/a/id}\" has a '}' without a matching '{'")]
    [InlineData("/a/{}", "{} is not a valid placeholder name")]
    [InlineData("/a/{b.c}", "{b.c} is not a valid placeholder name")]
    [InlineData("/a/{JWT.sub}", "{JWT.sub} is not a valid placeholder name")]
    [InlineData("/a/{resp0_id}", "{resp0_id} refers to an earlier backend's response, which needs proxy.sequential: true")]
    [InlineData("a/{id}", "\"a/{id}\" must start with /")]
    [InlineData("?q={id}", "\"?q={id}\" must start with /")]
    public void TryCompile_InvalidPattern_ReportsIt(string text, string message)
    {
        var problems = new List<string>();

        var pattern = UrlPattern.TryCompile(text, ["id"], "/e/{id}", problems);

        Assert.Null(pattern);
        Assert.Equal([message], problems);
    }

    [Fact]
    public void TryCompile_SeveralBadPlaceholders_ReportsEach()
    {
        var problems = new List<string>();

        var pattern = UrlPattern.TryCompile("/{a}/{id}/{b}/{c.d}", ["id"], "/e/{id}", problems);

        Assert.Null(pattern);
        Assert.Equal(
            ["{a} is not a parameter of /e/{id}", "{b} is not a parameter of /e/{id}", "{c.d} is not a valid placeholder name"],
            problems);
    }

    private static UrlPattern Compile(string text, params string[] parameterNames)
    {
        var problems = new List<string>();
        var pattern = UrlPattern.TryCompile(text, parameterNames, "/endpoint", problems);
        Assert.Empty(problems);
        return Assert.IsType<UrlPattern>(pattern);
    }

    private static string Render(UrlPattern pattern, params (string Name, string Value)[] parameters)
    {
        var builder = new StringBuilder();
        Assert.True(pattern.AppendTo(builder, parameters.ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal)));
        return builder.ToString();
    }
}
