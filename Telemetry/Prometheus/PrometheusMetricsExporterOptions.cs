using Telemetry.Configuration;
using Telemetry.Instrumentation;

namespace Telemetry.Prometheus;

/// <summary>What one Prometheus exporter renders (reference §2.3).</summary>
public sealed record PrometheusMetricsExporterOptions
{
    /// <summary>The .NET runtime's built-in meter, KrakenD's <c>go_metrics</c> counterpart.</summary>
    public const string RuntimeMeterName = "System.Runtime";

    /// <summary>The gateway's meter: only its instruments (and, with <see cref="RuntimeMetrics"/>, the runtime's) are rendered.</summary>
    public string GatewayMeterName { get; init; } = TelemetrySources.DefaultName;

    /// <summary>Render the gateway's instruments, <c>target_info</c> and <c>otel_scope_info</c>; false for <c>disable_metrics</c>.</summary>
    public bool IncludeGatewayMeter { get; init; } = true;

    /// <summary><c>process_metrics</c>: the <c>process_*</c> families of Go's process collector.</summary>
    public bool ProcessMetrics { get; init; }

    /// <summary><c>go_metrics</c>: the <see cref="RuntimeMeterName"/> instruments (the provider must <c>AddMeter</c> it).</summary>
    public bool RuntimeMetrics { get; init; }

    /// <summary>
    /// True when something is read from the MeterProvider, i.e. the reader should be added to it. With
    /// <c>disable_metrics</c> and no runtime metrics, KrakenD does not attach its exporter either.
    /// </summary>
    public bool UsesMeterProvider => IncludeGatewayMeter || RuntimeMetrics;

    /// <summary>The options an <c>exporters.prometheus[]</c> entry asks for.</summary>
    public static PrometheusMetricsExporterOptions From(PrometheusExporterOptions exporter, string gatewayMeterName)
    {
        ArgumentNullException.ThrowIfNull(exporter);
        ArgumentException.ThrowIfNullOrEmpty(gatewayMeterName);
        return new()
        {
            GatewayMeterName = gatewayMeterName,
            IncludeGatewayMeter = !exporter.DisableMetrics,
            ProcessMetrics = exporter.ProcessMetrics,
            RuntimeMetrics = exporter.GoMetrics,
        };
    }
}
