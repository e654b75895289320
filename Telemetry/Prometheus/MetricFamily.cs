namespace Telemetry.Prometheus;

/// <summary>The Prometheus types this exporter renders (text format 0.0.4 <c># TYPE</c>).</summary>
public enum MetricFamilyType
{
    Counter,
    Gauge,
    Histogram,
}

/// <summary>
/// One Prometheus metric family: a name, its <c># HELP</c> and <c># TYPE</c>, and its series. Independent of how the
/// values were collected, so the in-process exporter and the aggregating companion render through the same
/// <see cref="PrometheusTextWriter"/>.
/// </summary>
public sealed class MetricFamily
{
    public MetricFamily(string name, MetricFamilyType type, string help = "", string unit = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Type = type;
        Help = help ?? "";
        Unit = unit ?? "";
    }

    /// <summary>The full Prometheus name: for counters it ends in <c>_total</c>, for histograms it has no <c>_bucket</c> suffix.</summary>
    public string Name { get; }

    public MetricFamilyType Type { get; }

    /// <summary>The <c># HELP</c> text (may be empty: the line is still written, as Go's client does).</summary>
    public string Help { get; }

    /// <summary>The OpenTelemetry unit the name was derived from (not rendered by text format 0.0.4).</summary>
    public string Unit { get; }

    /// <summary>The series, in any order: the writer sorts them.</summary>
    public List<MetricSeries> Series { get; } = [];
}
