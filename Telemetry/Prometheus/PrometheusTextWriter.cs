using System.Text;

namespace Telemetry.Prometheus;

/// <summary>
/// Renders metric families in the Prometheus text exposition format 0.0.4 the way Go's client (<c>expfmt</c> behind
/// <c>promhttp</c>) does, so the output matches KrakenD byte for byte: families sorted by name, each with a
/// <c># HELP</c> and a <c># TYPE</c> line; labels sorted by name (<c>le</c> last); series sorted by their label values;
/// values in Go's float format; histograms as cumulative <c>_bucket</c> lines, <c>+Inf</c>, <c>_sum</c>, <c>_count</c>.
/// Families without series are left out. Families sharing a name are merged when their types agree (the first help
/// wins), otherwise the later one is dropped; a repeated series (same labels) is written once. No timestamps.
/// </summary>
public static class PrometheusTextWriter
{
    /// <summary>The <c>Content-Type</c> of a text format 0.0.4 response.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The <c>Content-Type</c> of an OpenMetrics 1.0.0 response.</summary>
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /// <summary>
    /// True when an <c>Accept</c> header asks for OpenMetrics (what Prometheus sends first when it can read it); text
    /// 0.0.4 otherwise, the default.
    /// </summary>
    public static bool AcceptsOpenMetrics(string? accept)
    {
        if (string.IsNullOrEmpty(accept))
        {
            return false;
        }

        foreach (var part in accept.Split(','))
        {
            var item = part.Trim();
            if (item.StartsWith("application/openmetrics-text", StringComparison.OrdinalIgnoreCase) && !item.Contains("q=0,", StringComparison.Ordinal) && !item.EndsWith("q=0", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The exposition in OpenMetrics 1.0.0: counter families are named without their <c>_total</c> suffix (their
    /// samples keep it), HELP escapes quotes too, and the output ends with <c># EOF</c>.
    /// </summary>
    public static string RenderOpenMetrics(IEnumerable<MetricFamily> families)
    {
        ArgumentNullException.ThrowIfNull(families);
        var output = new StringBuilder();
        foreach (var family in Normalize(families))
        {
            WriteFamily(family.Family, family.Series, output, openMetrics: true);
        }

        output.Append("# EOF\n");
        return output.ToString();
    }

    /// <summary>The exposition as a string.</summary>
    public static string Render(IEnumerable<MetricFamily> families)
    {
        var builder = new StringBuilder();
        Write(families, builder);
        return builder.ToString();
    }

    /// <summary>The exposition as UTF-8 bytes, ready to send.</summary>
    public static byte[] RenderUtf8(IEnumerable<MetricFamily> families) => Encoding.UTF8.GetBytes(Render(families));

    /// <summary>Appends the exposition to <paramref name="output"/>.</summary>
    public static void Write(IEnumerable<MetricFamily> families, StringBuilder output)
    {
        ArgumentNullException.ThrowIfNull(families);
        ArgumentNullException.ThrowIfNull(output);
        foreach (var family in Normalize(families))
        {
            WriteFamily(family.Family, family.Series, output, openMetrics: false);
        }
    }

    private static List<(MetricFamily Family, List<SortedSeries> Series)> Normalize(IEnumerable<MetricFamily> families)
    {
        var byName = new Dictionary<string, (MetricFamily Family, List<SortedSeries> Series)>(StringComparer.Ordinal);
        foreach (var family in families)
        {
            if (byName.TryGetValue(family.Name, out var existing))
            {
                if (existing.Family.Type == family.Type)
                {
                    existing.Series.AddRange(family.Series.Select(static s => new SortedSeries(s)));
                }

                continue;
            }

            byName.Add(family.Name, (family, [.. family.Series.Select(static s => new SortedSeries(s))]));
        }

        var result = new List<(MetricFamily Family, List<SortedSeries> Series)>(byName.Count);
        foreach (var entry in byName.Values)
        {
            if (entry.Series.Count == 0)
            {
                continue;
            }

            // Stable sort, so of two identical series the first one given is kept.
            var sorted = entry.Series.Order(SeriesOrder.Instance).ToList();
            var unique = new List<SortedSeries>(sorted.Count);
            foreach (var series in sorted)
            {
                if (unique.Count == 0 || SeriesOrder.Instance.Compare(unique[^1], series) != 0)
                {
                    unique.Add(series);
                }
            }

            result.Add((entry.Family, unique));
        }

        result.Sort(static (a, b) => string.CompareOrdinal(a.Family.Name, b.Family.Name));
        return result;
    }

    private static void WriteFamily(MetricFamily family, List<SortedSeries> series, StringBuilder output, bool openMetrics)
    {
        var familyName = openMetrics && family.Type == MetricFamilyType.Counter && family.Name.EndsWith("_total", StringComparison.Ordinal)
            ? family.Name[..^"_total".Length]
            : family.Name;
        output.Append("# HELP ").Append(familyName).Append(' ');
        AppendEscaped(output, family.Help, escapeQuotes: openMetrics);
        output.Append('\n');
        output.Append("# TYPE ").Append(familyName).Append(family.Type switch
        {
            MetricFamilyType.Counter => " counter\n",
            MetricFamilyType.Gauge => " gauge\n",
            _ => " histogram\n",
        });

        foreach (var item in series)
        {
            if (family.Type != MetricFamilyType.Histogram)
            {
                WriteSample(output, family.Name, "", item.Labels, null, item.Series.Value);
                continue;
            }

            var sawInfinity = false;
            foreach (var bucket in item.Series.Buckets)
            {
                WriteSample(output, family.Name, "_bucket", item.Labels, bucket.UpperBound, bucket.CumulativeCount);
                sawInfinity |= double.IsPositiveInfinity(bucket.UpperBound);
            }

            if (!sawInfinity)
            {
                WriteSample(output, family.Name, "_bucket", item.Labels, double.PositiveInfinity, item.Series.Count);
            }

            WriteSample(output, family.Name, "_sum", item.Labels, null, item.Series.Value);
            WriteSample(output, family.Name, "_count", item.Labels, null, item.Series.Count);
        }
    }

    private static void WriteSample(StringBuilder output, string name, string suffix, MetricLabel[] labels, double? le, double value)
    {
        output.Append(name).Append(suffix);
        if (labels.Length > 0 || le is not null)
        {
            var separator = '{';
            foreach (var label in labels)
            {
                output.Append(separator).Append(label.Name).Append("=\"");
                AppendEscaped(output, label.Value, escapeQuotes: true);
                output.Append('"');
                separator = ',';
            }

            if (le is { } bound)
            {
                output.Append(separator).Append("le=\"").Append(FormatValue(bound)).Append('"');
            }

            output.Append('}');
        }

        output.Append(' ').Append(FormatValue(value)).Append('\n');
    }

    /// <summary>A sample value or bound as Go's <c>writeFloat</c> prints it (<c>-0</c> prints as <c>0</c>).</summary>
    internal static string FormatValue(double value) => value == 0 ? "0" : GoFloat.Format(value);

    private static void AppendEscaped(StringBuilder output, string text, bool escapeQuotes)
    {
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\':
                    output.Append(@"\\");
                    break;
                case '\n':
                    output.Append(@"\n");
                    break;
                case '"' when escapeQuotes:
                    output.Append("\\\"");
                    break;
                default:
                    output.Append(c);
                    break;
            }
        }
    }

    private sealed class SortedSeries(MetricSeries series)
    {
        public MetricSeries Series { get; } = series;

        public MetricLabel[] Labels { get; } = [.. series.Labels.OrderBy(static l => l.Name, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Go's <c>MetricSorter</c>: fewer labels first, then label values compared position by position (labels are
    /// sorted by name). Label names break the remaining ties so the order never depends on the input order.
    /// </summary>
    private sealed class SeriesOrder : IComparer<SortedSeries>
    {
        public static readonly SeriesOrder Instance = new();

        public int Compare(SortedSeries? x, SortedSeries? y)
        {
            var a = x!.Labels;
            var b = y!.Labels;
            if (a.Length != b.Length)
            {
                return a.Length.CompareTo(b.Length);
            }

            for (var i = 0; i < a.Length; i++)
            {
                var byValue = string.CompareOrdinal(a[i].Value, b[i].Value);
                if (byValue != 0)
                {
                    return byValue;
                }
            }

            for (var i = 0; i < a.Length; i++)
            {
                var byName = string.CompareOrdinal(a[i].Name, b[i].Name);
                if (byName != 0)
                {
                    return byName;
                }
            }

            return 0;
        }
    }
}
