namespace Telemetry.Configuration;

/// <summary>The <c>extra_config</c> namespaces of the OpenTelemetry integration.</summary>
public static class TelemetryNamespaces
{
    /// <summary>KrakenD CE's namespace, read at service, endpoint and backend level.</summary>
    public const string OpenTelemetry = "telemetry/opentelemetry";

    /// <summary>KrakenD Enterprise's service-level namespace carrying per-exporter OTLP headers (reference §7).</summary>
    public const string OpenTelemetrySecurity = "telemetry/opentelemetry-security";
}
