namespace FunctionApp.Gateway.Configuration.Tests;

/// <summary>JSON syntax and type errors: reported with the JSON path and the line, without CLR type names.</summary>
public sealed class ConfigParseErrorTests
{
    [Fact]
    public void Load_PortAsString_ReportsExpectedWholeNumberWithPathAndLine()
    {
        var json = "{\n  \"version\": 3,\n  \"port\": \"80\"\n}";

        Assert.StartsWith("port: expected a whole number (line 3, column ", ConfigFixtures.SingleProblem(json), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"version\": \"3\"", "version: expected a whole number")]
    [InlineData("\"version\": 3.5", "version: expected a whole number")]
    [InlineData("\"port\": 99999999999", "port: expected a whole number")]
    [InlineData("\"debug_endpoint\": \"yes\"", "debug_endpoint: expected true or false")]
    [InlineData("\"timeout\": 5", "timeout: expected a string")]
    [InlineData("\"host\": \"h.test\"", "host: expected an array of strings")]
    [InlineData("\"host\": [1]", "host[0]: expected a string")]
    [InlineData("\"endpoints\": {}", "endpoints: expected an array")]
    [InlineData("\"endpoints\": [1]", "endpoints[0]: expected an object")]
    [InlineData("\"endpoints\": [{ \"backend\": {} }]", "endpoints[0].backend: expected an array")]
    [InlineData("\"endpoints\": [{ \"backend\": [\"/x\"] }]", "endpoints[0].backend[0]: expected an object")]
    [InlineData("\"endpoints\": [{ \"input_headers\": [true] }]", "endpoints[0].input_headers[0]: expected a string")]
    [InlineData("\"endpoints\": [{ \"concurrent_calls\": \"2\" }]", "endpoints[0].concurrent_calls: expected a whole number")]
    [InlineData("\"extra_config\": []", "extra_config: expected an object")]
    [InlineData("\"extra_config\": \"router\"", "extra_config: expected an object")]
    [InlineData("\"endpoints\": [{ \"extra_config\": 1 }]", "endpoints[0].extra_config: expected an object")]
    [InlineData("\"endpoints\": [{ \"backend\": [{ \"mapping\": [] }] }]", "endpoints[0].backend[0].mapping: expected an object")]
    [InlineData("\"endpoints\": [{ \"backend\": [{ \"mapping\": { \"a\": 1 } }] }]", "endpoints[0].backend[0].mapping.a: expected a string")]
    [InlineData("\"endpoints\": [{ \"backend\": [{ \"disable_host_sanitize\": 1 }] }]", "endpoints[0].backend[0].disable_host_sanitize: expected true or false")]
    public void Load_WrongValueType_ReportsWhatWasExpectedAtThePath(string member, string expected)
    {
        var json = "{ " + member + " }";

        var problem = ConfigFixtures.SingleProblem(json);

        Assert.StartsWith(expected + " (line 1, column ", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingComma_ReportsInvalidJsonWithLine()
    {
        var json = "{\n  \"version\": 3\n  \"port\": 80\n}";

        var problem = ConfigFixtures.SingleProblem(json);

        Assert.StartsWith("invalid JSON: '\"' is invalid after a value.", problem, StringComparison.Ordinal);
        Assert.EndsWith("(line 3, column 3)", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("Path:", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TrailingComma_IsASyntaxError()
    {
        var problem = ConfigFixtures.SingleProblem("{ \"version\": 3, \"endpoints\": [], }");

        Assert.Contains("invalid JSON: ", problem, StringComparison.Ordinal);
        Assert.Contains("(line 1, column ", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Comment_IsASyntaxError()
    {
        var problem = ConfigFixtures.SingleProblem("{\n  // a comment\n  \"version\": 3\n}");

        Assert.Contains("invalid JSON: ", problem, StringComparison.Ordinal);
        Assert.EndsWith("(line 2, column 3)", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SyntaxErrorInsideAnEndpoint_ReportsThePathAndLine()
    {
        var json = """
            {
              "version": 3,
              "endpoints": [
                { "endpoint": "/a", "backend": [ { "url_pattern": "/b" ] }
              ]
            }
            """;

        var problem = ConfigFixtures.SingleProblem(json);

        Assert.StartsWith("endpoints[0].backend[0]", problem, StringComparison.Ordinal);
        Assert.Contains("invalid JSON: ", problem, StringComparison.Ordinal);
        Assert.Contains("(line 4, column ", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TruncatedDocument_IsASyntaxError()
    {
        var problem = ConfigFixtures.SingleProblem("{ \"version\": 3, \"endpoints\": [");

        Assert.Contains("invalid JSON: ", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EmptyText_IsASyntaxError()
    {
        var problem = ConfigFixtures.SingleProblem(string.Empty);

        Assert.StartsWith("invalid JSON: ", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_JsonNull_ReportsMustBeAnObject()
    {
        Assert.Equal("the configuration must be a JSON object", ConfigFixtures.SingleProblem("null"));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("3")]
    [InlineData("\"krakend\"")]
    public void Load_RootNotAnObject_ReportsExpectedAnObject(string json)
    {
        Assert.StartsWith("expected an object (line 1, column ", ConfigFixtures.SingleProblem(json), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ValidText_ReturnsTheFileModelWithoutProblems()
    {
        var config = ConfigLoader.Parse(ConfigFixtures.Minimal, out var problems);

        Assert.Empty(problems);
        Assert.NotNull(config);
        Assert.Equal(3, config.Version);
        Assert.Null(config.Port);
        Assert.Equal("/a", Assert.Single(config.Endpoints!).Endpoint);
    }

    [Fact]
    public void Parse_InvalidText_ReturnsNullAndTheProblem()
    {
        var config = ConfigLoader.Parse("{ \"port\": true }", out var problems);

        Assert.Null(config);
        Assert.Equal("port", Assert.Single(problems).Path);
    }
}
