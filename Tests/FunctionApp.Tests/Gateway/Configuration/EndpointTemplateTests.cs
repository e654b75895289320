using FunctionApp.Gateway.Routing;

namespace FunctionApp.Gateway.Configuration.Tests;

/// <summary>Endpoint paths: literal segments and whole-segment <c>{parameters}</c>.</summary>
public sealed class EndpointTemplateTests
{
    [Fact]
    public void TryParse_PathWithParameters_SplitsItIntoSegments()
    {
        var template = Parse("/users/{id}/orders/{order_id}");

        Assert.Equal(
            [
                TemplateSegment.Literal("users"),
                TemplateSegment.Parameter("id"),
                TemplateSegment.Literal("orders"),
                TemplateSegment.Parameter("order_id"),
            ],
            template.Segments);
        Assert.Equal(["id", "order_id"], template.ParameterNames);
        Assert.Equal("/users/{id}/orders/{order_id}", template.Text);
        Assert.Equal("/users/{id}/orders/{order_id}", template.ToString());
    }

    [Fact]
    public void TryParse_Root_HasNoSegments()
    {
        var template = Parse("/");

        Assert.Empty(template.Segments);
        Assert.Empty(template.ParameterNames);
    }

    [Fact]
    public void TryParse_TrailingSlash_KeepsAnEmptyLastSegment()
    {
        var template = Parse("/users/");

        Assert.Equal([TemplateSegment.Literal("users"), TemplateSegment.Literal(string.Empty)], template.Segments);
    }

    [Theory]
    [InlineData("{user-id}", "user-id")]
    [InlineData("{user_id}", "user_id")]
    [InlineData("{ID2}", "ID2")]
    [InlineData("{_}", "_")]
    public void TryParse_ParameterNameWithAllowedCharacters_IsAParameter(string segment, string name)
    {
        var template = Parse("/a/" + segment);

        Assert.Equal([name], template.ParameterNames);
    }

    [Theory]
    [InlineData("users", "\"users\" must start with /")]
    [InlineData("", "\"\" must start with /")]
    [InlineData("/a//b", "\"/a//b\" has an empty path segment")]
    [InlineData("//", "\"//\" has an empty path segment")]
    [InlineData("/a/*", "\"/a/*\": wildcard endpoints are not supported")]
    [InlineData("/a/*rest", "\"/a/*rest\": wildcard endpoints are not supported")]
    [InlineData("/a/{id}/{id}", "\"/a/{id}/{id}\" declares the parameter {id} twice")]
    [InlineData("/a/x{id}", "\"/a/x{id}\": a parameter must be a whole path segment such as /{name}/, with letters, digits, '-' or '_' in its name")]
    [InlineData("/a/{id}.json", "\"/a/{id}.json\": a parameter must be a whole path segment such as /{name}/, with letters, digits, '-' or '_' in its name")]
    [InlineData("/a/{b.c}", "\"/a/{b.c}\": a parameter must be a whole path segment such as /{name}/, with letters, digits, '-' or '_' in its name")]
    [InlineData("/a/{}", "\"/a/{}\": a parameter must be a whole path segment such as /{name}/, with letters, digits, '-' or '_' in its name")]
    [InlineData("/a/{id", "\"/a/{id\": a parameter must be a whole path segment such as /{name}/, with letters, digits, '-' or '_' in its name")]
    [InlineData("/a?x=1", "\"/a?x=1\" contains a character that is not allowed in an endpoint path ('?', '#' or '%')")]
    [InlineData("/a#frag", "\"/a#frag\" contains a character that is not allowed in an endpoint path ('?', '#' or '%')")]
    [InlineData("/a%2Fb", "\"/a%2Fb\" contains a character that is not allowed in an endpoint path ('?', '#' or '%')")]
    public void TryParse_InvalidPath_ReportsOneProblem(string path, string message)
    {
        var problems = new List<string>();

        var template = EndpointTemplate.TryParse(path, problems);

        Assert.Null(template);
        Assert.Equal([message], problems);
    }

    [Fact]
    public void TryParse_SameNameDifferingInCase_AreTwoParameters()
    {
        var template = Parse("/a/{id}/{Id}");

        Assert.Equal(["id", "Id"], template.ParameterNames);
    }

    [Fact]
    public void Load_InvalidEndpointPath_IsReportedAtTheEndpointKey()
    {
        var json = ConfigFixtures.WithEndpoints(ConfigFixtures.Endpoint("/files/*"));

        Assert.Equal("endpoints[0].endpoint: \"/files/*\": wildcard endpoints are not supported", ConfigFixtures.SingleProblem(json));
    }

    private static EndpointTemplate Parse(string path)
    {
        var problems = new List<string>();
        var template = EndpointTemplate.TryParse(path, problems);
        Assert.Empty(problems);
        return Assert.IsType<EndpointTemplate>(template);
    }
}
