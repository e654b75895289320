namespace FunctionApp.Gateway.Configuration.Tests;

/// <summary>Small krakend.json builders and loaders shared by the configuration tests.</summary>
internal static class ConfigFixtures
{
    /// <summary>The smallest valid configuration: one GET endpoint with one backend.</summary>
    public const string Minimal = """
        {
          "version": 3,
          "endpoints": [
            { "endpoint": "/a", "backend": [ { "host": ["example.com"], "url_pattern": "/b" } ] }
          ]
        }
        """;

    /// <summary>A configuration with a service-level host and the given endpoint objects (JSON text, comma-separated).</summary>
    public static string WithEndpoints(params string[] endpoints) => $$"""
        {
          "version": 3,
          "host": ["http://backend.test:8080"],
          "endpoints": [
            {{string.Join(",\n", endpoints)}}
          ]
        }
        """;

    /// <summary>An endpoint object with one backend.</summary>
    public static string Endpoint(string path, string urlPattern = "/backend", string method = "GET") => $$"""
        { "endpoint": "{{path}}", "method": "{{method}}", "backend": [ { "url_pattern": "{{urlPattern}}" } ] }
        """;

    /// <summary>Loads a configuration that must be valid.</summary>
    public static GatewayModel Load(string json) => ConfigLoader.Load(json, "test config");

    /// <summary>Loads a configuration that must be invalid, returning every problem as <c>path: message</c>.</summary>
    public static IReadOnlyList<string> Problems(string json)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(json, "test config"));
        Assert.NotEmpty(e.Problems);
        return [.. e.Problems.Select(p => p.ToString())];
    }

    /// <summary>Loads a configuration that must have exactly one problem, and returns it as <c>path: message</c>.</summary>
    public static string SingleProblem(string json) => Assert.Single(Problems(json));
}
