namespace Telemetry.Configuration;

/// <summary>
/// One problem (or warning) found in the telemetry configuration, located by its JSON path, e.g.
/// <c>extra_config.telemetry/opentelemetry.exporters.otlp[0].port</c>. Environment-variable problems use the
/// variable's name as the path.
/// </summary>
public sealed record TelemetryConfigProblem(string Path, string Message)
{
    public override string ToString() => Path.Length == 0 ? Message : $"{Path}: {Message}";
}
