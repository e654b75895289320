using System.Text;
using Telemetry.Prometheus;

namespace FunctionApp.Tests.Telemetry.Prometheus;

/// <summary>
/// The text writer as it was before it wrote UTF-8 directly (StringBuilder, per-character escaping, a string per
/// number): the reference the UTF-8 writer must match byte for byte once its output is encoded.
/// </summary>
internal static class LegacyTextWriter
{
    public static string Render(IEnumerable<MetricFamily> families, bool openMetrics = false)
    {
        var output = new StringBuilder();
        foreach (var (family, series) in Normalize(families))
        {
            WriteFamily(family, series, output, openMetrics);
        }

        if (openMetrics)
        {
            output.Append("# EOF\n");
        }

        return output.ToString();
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
                output.Append(separator).Append("le=\"").Append(PrometheusTextWriter.FormatValue(bound)).Append('"');
            }

            output.Append('}');
        }

        output.Append(' ').Append(PrometheusTextWriter.FormatValue(value)).Append('\n');
    }

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
