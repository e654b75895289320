using System.Globalization;
using System.Text;

namespace Telemetry.Aggregation;

/// <summary>Why a data point was rejected (reported through OTLP <c>partial_success</c>; the client must not retry).</summary>
public enum IngestRejectReason
{
    /// <summary>The resource has no <c>service.instance.id</c>, so its cumulative values cannot be told apart.</summary>
    MissingInstanceId,

    /// <summary>Exponential histograms cannot be rendered in Prometheus text 0.0.4.</summary>
    ExponentialHistogram,

    /// <summary>Summaries cannot be merged across instances (quantiles do not add).</summary>
    Summary,

    /// <summary>A sum or histogram with <c>AGGREGATION_TEMPORALITY_UNSPECIFIED</c> (invalid per the data model).</summary>
    UnspecifiedTemporality,

    /// <summary>A counter that is negative or not finite, or a histogram whose bounds or buckets are malformed.</summary>
    InvalidPoint,

    /// <summary>A histogram whose bounds differ from those its series was established with.</summary>
    HistogramBoundsMismatch,

    /// <summary>A point whose family name is already taken by another type.</summary>
    TypeConflict,

    /// <summary>More attribute labels than <see cref="AggregatorOptions.MaxLabelsPerSeries"/>.</summary>
    TooManyLabels,

    /// <summary>A new series beyond <see cref="AggregatorOptions.MaxSeries"/>.</summary>
    SeriesLimit,

    /// <summary>A new series beyond <see cref="AggregatorOptions.MaxSeriesPerMetric"/> in its family.</summary>
    MetricSeriesLimit,
}

/// <summary>
/// What one <see cref="MetricAggregator.Ingest"/> did with the request's data points. Duplicates and out-of-order
/// points are ignored, not rejected: they carry nothing new, so the push succeeded.
/// </summary>
public sealed class IngestResult
{
    private static readonly IngestRejectReason[] Reasons = Enum.GetValues<IngestRejectReason>();

    private readonly int[] _rejected;

    internal IngestResult(int accepted, int duplicates, int outOfOrder, int[] rejectedByReason)
    {
        Accepted = accepted;
        Duplicates = duplicates;
        OutOfOrder = outOfOrder;
        _rejected = rejectedByReason;
        Rejected = rejectedByReason.Sum();
        ErrorMessage = Rejected == 0 ? null : Describe(rejectedByReason, Rejected);
    }

    /// <summary>Points applied to the aggregate.</summary>
    public int Accepted { get; }

    /// <summary>Points with the same timestamp as the one already applied for their instance and series.</summary>
    public int Duplicates { get; }

    /// <summary>Points older than the one already applied for their instance and series.</summary>
    public int OutOfOrder { get; }

    /// <summary>Points rejected: <c>partial_success.rejected_data_points</c>.</summary>
    public int Rejected { get; }

    /// <summary><c>partial_success.error_message</c>: null when nothing was rejected.</summary>
    public string? ErrorMessage { get; }

    public int RejectedFor(IngestRejectReason reason) => _rejected[(int)reason];

    /// <summary>The snake_case name used as the <c>reason</c> label of the self-metrics.</summary>
    public static string ReasonLabel(IngestRejectReason reason) => reason switch
    {
        IngestRejectReason.MissingInstanceId => "missing_instance_id",
        IngestRejectReason.ExponentialHistogram => "exponential_histogram",
        IngestRejectReason.Summary => "summary",
        IngestRejectReason.UnspecifiedTemporality => "unspecified_temporality",
        IngestRejectReason.InvalidPoint => "invalid_point",
        IngestRejectReason.HistogramBoundsMismatch => "histogram_bounds_mismatch",
        IngestRejectReason.TypeConflict => "type_conflict",
        IngestRejectReason.TooManyLabels => "too_many_labels",
        IngestRejectReason.SeriesLimit => "series_limit",
        _ => "metric_series_limit",
    };

    private static string Describe(int[] rejectedByReason, int total)
    {
        var message = new StringBuilder();
        message.Append(CultureInfo.InvariantCulture, $"{total} data point(s) rejected:");
        var separator = " ";
        foreach (var reason in Reasons)
        {
            var count = rejectedByReason[(int)reason];
            if (count > 0)
            {
                message.Append(CultureInfo.InvariantCulture, $"{separator}{count} {Explain(reason)}");
                separator = "; ";
            }
        }

        return message.ToString();
    }

    private static string Explain(IngestRejectReason reason) => reason switch
    {
        IngestRejectReason.MissingInstanceId => "without the service.instance.id resource attribute",
        IngestRejectReason.ExponentialHistogram => "exponential histogram (not representable in Prometheus text format)",
        IngestRejectReason.Summary => "summary (quantiles cannot be merged across instances)",
        IngestRejectReason.UnspecifiedTemporality => "with unspecified aggregation temporality",
        IngestRejectReason.InvalidPoint => "invalid (negative or non-finite counter, or malformed histogram)",
        IngestRejectReason.HistogramBoundsMismatch => "histogram with bucket bounds differing from the series' bounds",
        IngestRejectReason.TypeConflict => "whose metric name is already used by another type",
        IngestRejectReason.TooManyLabels => "with too many attributes",
        IngestRejectReason.SeriesLimit => "of new series over the aggregator's series limit",
        _ => "of new series over the metric's series limit",
    };
}
