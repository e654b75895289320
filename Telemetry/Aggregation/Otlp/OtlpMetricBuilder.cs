namespace Telemetry.Aggregation.Otlp;

/// <summary>The metric being decoded (one at a time per request), reused across the request's metrics.</summary>
internal sealed class OtlpMetricBuilder
{
    public string Name { get; set; } = "";

    public string Description { get; set; } = "";

    public string Unit { get; set; } = "";

    /// <summary>The data kind seen so far, or null before any of gauge/sum/histogram/exponential_histogram/summary.</summary>
    public OtlpMetricKind? Kind { get; private set; }

    public bool IsMonotonic { get; set; }

    public OtlpTemporality Temporality { get; private set; }

    public List<OtlpNumberPoint> NumberPoints { get; } = [];

    public List<OtlpHistogramPoint> HistogramPoints { get; } = [];

    public int UnsupportedPointCount { get; set; }

    public void Reset()
    {
        Name = Description = Unit = "";
        ClearData();
    }

    /// <summary>
    /// Starts (or, for the same kind, continues) the <c>data</c> oneof. Protobuf merges a repeated occurrence of the same
    /// case and lets a different case replace it ("last one wins"), which is what this does.
    /// </summary>
    public void Begin(OtlpMetricKind kind)
    {
        if (Kind != kind)
        {
            ClearData();
            Kind = kind;
        }
    }

    /// <summary>Proto3 enums are open; anything but DELTA or CUMULATIVE is as invalid as UNSPECIFIED.</summary>
    public void SetTemporality(long value) =>
        Temporality = value is (long)OtlpTemporality.Delta or (long)OtlpTemporality.Cumulative ? (OtlpTemporality)value : OtlpTemporality.Unspecified;

    /// <summary>The decoded metric, or null for one that carried no data at all (nothing to aggregate, nothing to reject).</summary>
    public OtlpMetric? Build()
    {
        if (Kind is not { } kind)
        {
            return null;
        }

        return new OtlpMetric(
            Name,
            Description,
            Unit,
            kind,
            kind == OtlpMetricKind.Sum && IsMonotonic,
            Temporality,
            OtlpDecodeContext.Drain(NumberPoints),
            OtlpDecodeContext.Drain(HistogramPoints),
            UnsupportedPointCount);
    }

    private void ClearData()
    {
        Kind = null;
        IsMonotonic = false;
        Temporality = OtlpTemporality.Unspecified;
        NumberPoints.Clear();
        HistogramPoints.Clear();
        UnsupportedPointCount = 0;
    }
}
