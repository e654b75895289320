using FunctionApp.Hosting;

namespace FunctionApp.Gateway.Configuration.Tests;

/// <summary><c>FunctionApp check -c krakend.json</c>.</summary>
public sealed class ConfigCheckTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "config-check-tests-" + Guid.NewGuid().ToString("N"));

    public ConfigCheckTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Run_ValidFile_PrintsSyntaxOkAndReturnsZero()
    {
        var path = Write("krakend.json", ConfigFixtures.Minimal);
        using var output = new StringWriter();

        var exitCode = ConfigCheck.Run(path, output);

        Assert.Equal(0, exitCode);
        Assert.Equal(Lines($"Parsing configuration file: {path}", "Syntax OK!"), output.ToString());
    }

    [Fact]
    public void Run_EmbeddedDefaultWrittenToAFile_IsValid()
    {
        var path = Write("default.json", ConfigLoader.ReadEmbeddedDefault());
        using var output = new StringWriter();

        Assert.Equal(0, ConfigCheck.Run(path, output));
        Assert.Contains("Syntax OK!", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_ValidFileWithUnsupportedNamespaces_PrintsWarningsAndReturnsZero()
    {
        var path = Write("krakend.json", """
            {
              "version": 3,
              "extra_config": { "security/cors": {} },
              "endpoints": [ { "endpoint": "/a", "backend": [ { "host": ["h.test"], "url_pattern": "/b", "extra_config": { "modifier/martian": {} } } ] } ]
            }
            """);
        using var output = new StringWriter();

        var exitCode = ConfigCheck.Run(path, output);

        Assert.Equal(0, exitCode);
        Assert.Equal(
            Lines(
                $"Parsing configuration file: {path}",
                "warning: extra_config.security/cors: namespace not supported; ignored",
                "warning: endpoints[0].backend[0].extra_config.modifier/martian: namespace not supported; ignored",
                "Syntax OK!"),
            output.ToString());
    }

    [Theory]
    [InlineData("auth/validator")]
    [InlineData("qos/ratelimit/router")]
    [InlineData("validation/json-schema")]
    [InlineData("security/policies")]
    public void Run_AccessRestrictingNamespaceWeCannotEnforce_IsAnError(string ns)
    {
        var path = Write("krakend.json", $$"""
            { "version": 3, "endpoints": [ { "endpoint": "/a", "extra_config": { "{{ns}}": {} }, "backend": [ { "host": ["h.test"], "url_pattern": "/b" } ] } ] }
            """);
        using var output = new StringWriter();

        var exitCode = ConfigCheck.Run(path, output);

        Assert.Equal(1, exitCode);
        Assert.Contains($"endpoints[0].extra_config.{ns}: restricts access", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_InvalidFile_PrintsEveryProblemAndReturnsOne()
    {
        var path = Write("krakend.json", """
            {
              "version": 2,
              "host": ["h.test"],
              "endpoints": [
                { "endpoint": "/a", "method": "HEAD", "backend": [ { "url_pattern": "/b" } ] },
                { "endpoint": "/users/{user}", "backend": [ { "url_pattern": "/v1/users/{id}" } ] }
              ]
            }
            """);
        using var output = new StringWriter();

        var exitCode = ConfigCheck.Run(path, output);

        Assert.Equal(1, exitCode);
        Assert.Equal(
            Lines(
                $"Parsing configuration file: {path}",
                "ERROR: 3 problems found:",
                "  version: unsupported version: 2 (want: 3)",
                "  endpoints[0].method: \"HEAD\" is not supported (use GET, POST, PUT, PATCH or DELETE)",
                "  endpoints[1].backend[0].url_pattern: {id} is not a parameter of /users/{user}"),
            output.ToString());
        Assert.DoesNotContain("Syntax OK!", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_OneProblem_UsesTheSingular()
    {
        var path = Write("krakend.json", """{ "endpoints": [] }""");
        using var output = new StringWriter();

        Assert.Equal(1, ConfigCheck.Run(path, output));
        Assert.Contains($"ERROR: 1 problem found:{Environment.NewLine}  version: is required and must be 3", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_SyntaxError_PrintsTheLineAndReturnsOne()
    {
        var path = Write("krakend.json", "{\n  \"version\": 3,\n  \"port\": \"80\"\n}");
        using var output = new StringWriter();

        Assert.Equal(1, ConfigCheck.Run(path, output));
        Assert.Contains("  port: expected a whole number (line 3, ", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_MissingFile_PrintsACannotReadErrorAndReturnsOne()
    {
        var path = Path.Combine(_directory, "does-not-exist.json");
        using var output = new StringWriter();

        var exitCode = ConfigCheck.Run(path, output);

        Assert.Equal(1, exitCode);
        var text = output.ToString();
        Assert.Contains("ERROR: 1 problem found:", text, StringComparison.Ordinal);
        Assert.Contains("  cannot read the file: ", text, StringComparison.Ordinal);
        Assert.Contains("does-not-exist.json", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Syntax OK!", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_DirectoryInsteadOfFile_ReturnsOne()
    {
        using var output = new StringWriter();

        Assert.Equal(1, ConfigCheck.Run(_directory, output));
        Assert.Contains("cannot read the file: ", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_EmptyFile_ReturnsOne()
    {
        var path = Write("empty.json", string.Empty);
        using var output = new StringWriter();

        Assert.Equal(1, ConfigCheck.Run(path, output));
        Assert.Contains("invalid JSON: ", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_HugeDuration_ReportsItInsteadOfCrashing()
    {
        var path = Write("krakend.json", """{ "version": 3, "timeout": "9999999999999999999999999999h", "endpoints": [] }""");
        using var output = new StringWriter();

        Assert.Equal(1, ConfigCheck.Run(path, output));
        Assert.Contains("  timeout: duration \"9999999999999999999999999999h\" is too large", output.ToString(), StringComparison.Ordinal);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string Lines(params string[] lines) => string.Concat(lines.Select(l => l + Environment.NewLine));
}
