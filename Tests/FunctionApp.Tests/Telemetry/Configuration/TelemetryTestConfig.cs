using System.Text.Json;

namespace Telemetry.Configuration.Tests;

/// <summary>Helpers shared by the telemetry configuration tests.</summary>
internal static class TelemetryTestConfig
{
    public const string ServicePath = "extra_config.telemetry/opentelemetry";
    public const string SecurityPath = "extra_config.telemetry/opentelemetry-security";
    public const string EndpointPath = "endpoints[0].extra_config.telemetry/opentelemetry";
    public const string BackendPath = "endpoints[0].backend[0].extra_config.telemetry/opentelemetry";

    /// <summary>A minimal namespace with one exporter, so that "no exporter" warnings stay out of the way.</summary>
    public const string WithExporter = """{"exporters":{"otlp":[{"name":"otel"}]}}""";

    public static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>Parses a service namespace that must be valid.</summary>
    public static TelemetryOptions Valid(string json, string? security = null)
    {
        var problems = new List<TelemetryConfigProblem>();
        var options = TelemetryOptionsParser.Parse(Json(json), security is null ? null : Json(security), ServicePath, problems);
        Assert.Empty(problems);
        Assert.NotNull(options);
        return options;
    }

    /// <summary>Parses a service namespace and returns its errors (the result must then be null).</summary>
    public static List<TelemetryConfigProblem> Errors(string json, string? security = null)
    {
        var problems = new List<TelemetryConfigProblem>();
        var options = TelemetryOptionsParser.Parse(Json(json), security is null ? null : Json(security), ServicePath, problems);
        Assert.NotEmpty(problems);
        Assert.Null(options);
        return problems;
    }

    /// <summary>Parses a valid service namespace and returns its warnings.</summary>
    public static List<TelemetryConfigProblem> Warnings(string json, out TelemetryOptions options)
    {
        var problems = new List<TelemetryConfigProblem>();
        var warnings = new List<TelemetryConfigProblem>();
        var parsed = TelemetryOptionsParser.Parse(Json(json), null, ServicePath, problems, warnings);
        Assert.Empty(problems);
        Assert.NotNull(parsed);
        options = parsed;
        return warnings;
    }

    public static EndpointTelemetryOverride Endpoint(string json, List<TelemetryConfigProblem>? warnings = null)
    {
        var problems = new List<TelemetryConfigProblem>();
        var result = TelemetryOptionsParser.ParseEndpointOverride(Json(json), EndpointPath, problems, warnings);
        Assert.Empty(problems);
        Assert.NotNull(result);
        return result;
    }

    public static BackendTelemetryOverride Backend(string json, List<TelemetryConfigProblem>? warnings = null)
    {
        var problems = new List<TelemetryConfigProblem>();
        var result = TelemetryOptionsParser.ParseBackendOverride(Json(json), BackendPath, problems, warnings);
        Assert.Empty(problems);
        Assert.NotNull(result);
        return result;
    }

    public static Func<string, string?> Variables(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        return name => map.GetValueOrDefault(name);
    }

    public static string Attributes(IEnumerable<TelemetryAttribute> attributes) =>
        string.Join(",", attributes.Select(a => $"{a.Key}={a.Value}"));
}
